//! Which definition events (`submitted`, `enter(s)`, `leave(s)`, `category(c)`, ...) a change
//! makes happen, and which of them an action's `on` listens to. `services::actions` turns the
//! matches into outbox rows and notifications.

use handoff_shared::definition::{Event, Status, StatusCategory};

/// What a submission into its first status makes happen.
pub fn submitted(first: &Status) -> Vec<Event> {
    vec![
        Event::Submitted,
        Event::Enter(first.key.clone()),
        Event::Category(first.category),
    ]
}

/// What a move from one status to another makes happen. Entering a category is an event only
/// when the category changes (moving between two `active` statuses is not "becoming active").
pub fn moved(from: &str, from_category: StatusCategory, to: &Status) -> Vec<Event> {
    let mut happened = vec![Event::Leave(from.to_owned()), Event::Enter(to.key.clone())];
    if from_category != to.category {
        happened.push(Event::Category(to.category));
    }
    happened
}

/// Whether an action listening to `on` runs for `happened`.
pub fn listens(on: &Event, happened: &Event) -> bool {
    match (on, happened) {
        // `status(x)` names the time spent in a status; as an action trigger it means entering.
        (Event::Status(a), Event::Enter(b)) => a == b,
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(key: &str, category: StatusCategory) -> Status {
        Status {
            key: key.into(),
            label: key.into(),
            category,
        }
    }

    #[test]
    fn a_move_within_a_category_does_not_enter_it_again() {
        let happened = moved(
            "triage",
            StatusCategory::Active,
            &status("work", StatusCategory::Active),
        );
        assert_eq!(
            happened,
            vec![Event::Leave("triage".into()), Event::Enter("work".into())]
        );
        let closed = moved(
            "work",
            StatusCategory::Active,
            &status("done", StatusCategory::Done),
        );
        assert!(closed.contains(&Event::Category(StatusCategory::Done)));
    }

    #[test]
    fn status_trigger_means_entering() {
        assert!(listens(
            &Event::Status("x".into()),
            &Event::Enter("x".into())
        ));
        assert!(!listens(
            &Event::Status("x".into()),
            &Event::Leave("x".into())
        ));
        assert!(listens(&Event::Approved, &Event::Approved));
    }
}
