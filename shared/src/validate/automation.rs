//! Validation of what a definition does over time: events, SLA clocks and actions.

use crate::definition::{Action, Approver, Event, SlaClock, SlaTarget};
use crate::duration::parse_duration;
use crate::form::is_email;
use crate::suggest;

use super::{Validator, is_item_key, is_slug};

impl Validator<'_> {
    pub(super) fn check_event(&mut self, path: String, text: &str) {
        match Event::parse(text) {
            Err(message) => self.push(path, message),
            Ok(Event::Enter(key) | Event::Leave(key) | Event::Status(key)) => {
                self.status_ref(path, &key)
            }
            Ok(Event::SlaBreached(key) | Event::SlaReminder(key)) => {
                if !self.def.sla.iter().any(|clock| clock.key == key) {
                    let message = suggest::unknown(
                        "sla clock",
                        &key,
                        self.def.sla.iter().map(|c| c.key.as_str()),
                    );
                    self.push(path, message);
                }
            }
            Ok(Event::Submitted | Event::Approved | Event::Rejected | Event::Category(_)) => {}
        }
    }

    pub(super) fn check_sla(&mut self) {
        let def = self.def;
        for (index, clock) in def.sla.iter().enumerate() {
            self.check_clock(format!("sla[{index}]"), clock);
        }
        self.check_unique("sla", def.sla.iter().map(|c| c.key.as_str()));
    }

    fn check_clock(&mut self, path: String, clock: &SlaClock) {
        if !is_item_key(&clock.key) {
            self.push(
                format!("{path}.key"),
                "must start with a-z and use only a-z, 0-9 and _ (at most 64 characters)",
            );
        }
        if clock.label.trim().is_empty() {
            self.push(format!("{path}.label"), "must not be empty");
        }
        self.check_event(format!("{path}.start"), &clock.start);
        self.check_event(format!("{path}.stop"), &clock.stop);
        if let Some(pause) = &clock.pause {
            self.check_event(format!("{path}.pause"), pause);
        }
        match &clock.target {
            SlaTarget::Fixed(text) => {
                if let Err(message) = parse_duration(text) {
                    self.push(format!("{path}.target"), message);
                }
            }
            SlaTarget::ByPriority(targets) => {
                if !targets.contains_key("default") {
                    self.push(format!("{path}.target"), "needs a default target");
                }
                for (key, text) in targets {
                    let at = format!("{path}.target.{key}");
                    if key != "default" && crate::definition::Priority::parse(key).is_none() {
                        self.push(
                            at,
                            format!(
                                "\"{key}\" is not a priority (low, normal, high, urgent or default)"
                            ),
                        );
                    } else if let Err(message) = parse_duration(text) {
                        self.push(at, message);
                    }
                }
            }
        }
        if let Some(calendar) = &clock.calendar
            && calendar != "business"
            && calendar != "24x7"
        {
            self.push(format!("{path}.calendar"), "must be business or 24x7");
        }
        if let Some(remind_at) = &clock.remind_at {
            let percent = remind_at
                .strip_suffix('%')
                .and_then(|n| n.parse::<u8>().ok());
            if !percent.is_some_and(|p| (1..=99).contains(&p)) {
                self.push(
                    format!("{path}.remind_at"),
                    "must be a percentage of the target from 1% to 99%",
                );
            }
        }
        if let Some(escalate_to) = clock
            .on_breach
            .as_ref()
            .and_then(|b| b.escalate_to.as_deref())
        {
            let ok = match escalate_to.parse::<Approver>() {
                Ok(Approver::Role(key) | Approver::Team(key)) => is_slug(&key),
                Ok(Approver::User(email)) => is_email(&email),
                _ => false,
            };
            if !ok {
                self.push(
                    format!("{path}.on_breach.escalate_to"),
                    "must be role:<key>, team:<key> or user:<email>",
                );
            }
        }
    }

    pub(super) fn check_actions(&mut self) {
        let def = self.def;
        for (index, action) in def.actions.iter().enumerate() {
            self.check_action(format!("actions[{index}]"), action);
        }
    }

    fn check_action(&mut self, path: String, action: &Action) {
        self.check_event(format!("{path}.on"), &action.on);
        match (&action.webhook, &action.notify) {
            (Some(_), Some(_)) => self.push(
                path.clone(),
                "needs exactly one of webhook or notify, not both",
            ),
            (None, None) => self.push(path.clone(), "needs one of webhook or notify"),
            _ => {}
        }
        if let Some(webhook) = &action.webhook
            && !is_slug(webhook)
        {
            self.push(
                format!("{path}.webhook"),
                "must be an integration key (a-z, 0-9 and -), never a URL",
            );
        }
        if let Some(notify) = &action.notify {
            let ok = match notify.as_str() {
                "requester" | "assignee" | "team" => true,
                other => other.strip_prefix("role:").is_some_and(is_slug),
            };
            if !ok {
                self.push(
                    format!("{path}.notify"),
                    "must be requester, assignee, team or role:<key>",
                );
            }
        }
        if let Some(via) = &action.via
            && !is_slug(via)
        {
            self.push(
                format!("{path}.via"),
                "must be an integration key (a-z, 0-9 and -)",
            );
        }
        if !action.capture.is_empty() && action.webhook.is_none() {
            self.push(
                format!("{path}.capture"),
                "needs a webhook whose answer it reads",
            );
        }
        for (key, json_path) in &action.capture {
            self.field_ref(format!("{path}.capture.{key}"), key);
            if !json_path.starts_with("$.") {
                self.push(
                    format!("{path}.capture.{key}"),
                    "must be a JSON path starting with $.",
                );
            }
        }
    }
}
