//! The dashboard: volume per day, backlog by status with aging buckets, cycle time by workflow
//! and priority, time in status and rework rate, over the requests the caller may report on.
//! Figures are computed from the requests and their `transitioned` events in one pass each, in
//! a bounded number of queries whatever the range (events are read in chunks of ids).

use crate::db::enums::EventKind;
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use handoff_shared::Permission;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;

use crate::auth::Principal;
use crate::db::entities::{event, request};
use crate::error::AppResult;

#[derive(Debug, Clone, Default)]
pub struct DashboardFilter {
    pub workflow: Option<String>,
    pub team: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DayCount {
    pub day: String,
    pub created: i64,
    pub closed: i64,
}

/// Open requests in one status, by age since submission.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BacklogRow {
    pub status: String,
    pub category: String,
    pub total: i64,
    pub under_1d: i64,
    pub d1_to_3: i64,
    pub d3_to_7: i64,
    pub over_7d: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CycleTimeRow {
    pub workflow: String,
    pub priority: String,
    pub count: i64,
    pub p50_hours: f64,
    pub p90_hours: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatusTimeRow {
    pub workflow: String,
    pub status: String,
    pub visits: i64,
    pub avg_hours: f64,
    pub total_hours: f64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dashboard {
    pub total: i64,
    pub open: i64,
    pub closed: i64,
    pub volume: Vec<DayCount>,
    pub backlog: Vec<BacklogRow>,
    pub cycle_time: Vec<CycleTimeRow>,
    pub time_in_status: Vec<StatusTimeRow>,
    pub reworked: i64,
    pub rework_rate: f64,
}

/// The p-th percentile (0..=100) by nearest rank of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn hours(d: Duration) -> f64 {
    d.num_seconds() as f64 / 3600.0
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

pub async fn dashboard(
    db: &impl ConnectionTrait,
    p: &Principal,
    f: &DashboardFilter,
    now: DateTime<Utc>,
) -> AppResult<Dashboard> {
    let mut cond = Condition::all();
    if let Some(keys) = p.scope(Permission::ReportRead) {
        cond = cond.add(request::Column::WorkflowKey.is_in(keys));
    }
    if let Some(w) = &f.workflow {
        cond = cond.add(request::Column::WorkflowKey.eq(w));
    }
    if let Some(t) = &f.team {
        cond = cond.add(request::Column::Team.eq(t));
    }
    if let Some(from) = f.from {
        cond = cond.add(request::Column::CreatedAt.gte(from));
    }
    if let Some(to) = f.to {
        cond = cond.add(request::Column::CreatedAt.lt(to));
    }
    let requests = request::Entity::find()
        .filter(cond)
        .order_by_asc(request::Column::CreatedAt)
        .all(db)
        .await?;

    let mut d = Dashboard {
        total: requests.len() as i64,
        ..Dashboard::default()
    };
    let mut volume: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut backlog: BTreeMap<String, BacklogRow> = BTreeMap::new();
    let mut cycles: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    for r in &requests {
        volume
            .entry(r.created_at.format("%Y-%m-%d").to_string())
            .or_default()
            .0 += 1;
        if r.rework_count > 0 {
            d.reworked += 1;
        }
        match r.closed_at {
            Some(closed) => {
                d.closed += 1;
                volume
                    .entry(closed.format("%Y-%m-%d").to_string())
                    .or_default()
                    .1 += 1;
                cycles
                    .entry((r.workflow_key.clone(), r.priority.as_str().to_owned()))
                    .or_default()
                    .push(hours(closed - r.created_at));
            }
            None => {
                d.open += 1;
                let row = backlog
                    .entry(r.status.clone())
                    .or_insert_with(|| BacklogRow {
                        status: r.status.clone(),
                        category: r.category.as_str().to_owned(),
                        ..BacklogRow::default()
                    });
                row.total += 1;
                let age = now - r.created_at;
                if age < Duration::days(1) {
                    row.under_1d += 1;
                } else if age < Duration::days(3) {
                    row.d1_to_3 += 1;
                } else if age < Duration::days(7) {
                    row.d3_to_7 += 1;
                } else {
                    row.over_7d += 1;
                }
            }
        }
    }
    d.rework_rate = if d.total == 0 {
        0.0
    } else {
        round2(d.reworked as f64 / d.total as f64)
    };
    d.volume = volume
        .into_iter()
        .map(|(day, (created, closed))| DayCount {
            day,
            created,
            closed,
        })
        .collect();
    d.backlog = backlog.into_values().collect();
    d.cycle_time = cycles
        .into_iter()
        .map(|((workflow, priority), mut v)| {
            v.sort_by(f64::total_cmp);
            CycleTimeRow {
                workflow,
                priority,
                count: v.len() as i64,
                p50_hours: round2(percentile(&v, 50.0)),
                p90_hours: round2(percentile(&v, 90.0)),
            }
        })
        .collect();
    d.time_in_status = time_in_status(db, &requests, now).await?;
    Ok(d)
}

/// Time spent in each status, from each request's status entries (submission, then every
/// `transitioned` event); the current status counts until now.
async fn time_in_status(
    db: &impl ConnectionTrait,
    requests: &[request::Model],
    now: DateTime<Utc>,
) -> AppResult<Vec<StatusTimeRow>> {
    let by_id: HashMap<&str, &request::Model> =
        requests.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut entries: HashMap<String, Vec<(DateTime<Utc>, String)>> = HashMap::new();
    for chunk in requests.chunks(500) {
        let events = event::Entity::find()
            .filter(event::Column::RequestId.is_in(chunk.iter().map(|r| r.id.clone())))
            .filter(event::Column::Kind.is_in([EventKind::Submitted, EventKind::Transitioned]))
            .order_by_asc(event::Column::Seq)
            .all(db)
            .await?;
        for e in events {
            // Unreadable event data is an error (logged once at the boundary), never a gap.
            let data = e.data.value()?;
            let status = match e.kind {
                EventKind::Submitted => data.get("status"),
                _ => data.get("to"),
            };
            if let (Some(rid), Some(Value::String(s))) = (e.request_id.clone(), status) {
                entries.entry(rid).or_default().push((e.at, s.clone()));
            }
        }
    }
    let mut totals: BTreeMap<(String, String), (i64, f64)> = BTreeMap::new();
    for (rid, list) in entries {
        let Some(r) = by_id.get(rid.as_str()) else {
            continue;
        };
        for (i, (at, status)) in list.iter().enumerate() {
            let end = list
                .get(i + 1)
                .map(|(t, _)| *t)
                .or(r.closed_at)
                .unwrap_or(now);
            if list.get(i + 1).is_none() && r.closed_at.is_some() {
                // The final (done) status of a closed request is not time waiting anywhere.
                continue;
            }
            let t = totals
                .entry((r.workflow_key.clone(), status.clone()))
                .or_default();
            t.0 += 1;
            t.1 += hours(end - *at);
        }
    }
    Ok(totals
        .into_iter()
        .map(|((workflow, status), (visits, total))| StatusTimeRow {
            workflow,
            status,
            visits,
            avg_hours: round2(total / visits as f64),
            total_hours: round2(total),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentile_uses_nearest_rank() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(percentile(&v, 50.0), 5.0);
        assert_eq!(percentile(&v, 90.0), 9.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
        assert_eq!(percentile(&[3.0], 90.0), 3.0);
    }
}
