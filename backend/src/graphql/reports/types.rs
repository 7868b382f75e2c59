//! The reports' output types: the `Dashboard` with its rows, and the audit trail's
//! connection. Figures come computed from `services::reports`; nothing here counts.

use async_graphql::{ComplexObject, Context, Result, SimpleObject};
use chrono::{DateTime, Utc};

use crate::error::{AppError, AppResult};
use crate::graphql::requests::types::{Event, PageInfo, Priority};
use crate::graphql::workflows::types::StatusCategory;
use crate::services::reports;
use crate::state::AppState;

#[derive(SimpleObject)]
pub struct DayCount {
    pub day: String,
    pub created: i64,
    pub closed: i64,
}

#[derive(SimpleObject)]
pub struct BacklogRow {
    pub status: String,
    pub category: StatusCategory,
    pub total: i64,
    /// Open less than a day.
    #[graphql(name = "under1d")]
    pub under_1d: i64,
    /// Open one to three days.
    #[graphql(name = "d1to3")]
    pub d1_to_3: i64,
    /// Open three to seven days.
    #[graphql(name = "d3to7")]
    pub d3_to_7: i64,
    /// Open more than seven days.
    #[graphql(name = "over7d")]
    pub over_7d: i64,
}

#[derive(SimpleObject)]
pub struct CycleTimeRow {
    pub workflow: String,
    pub priority: Priority,
    pub count: i64,
    pub p50_hours: f64,
    pub p90_hours: f64,
}

#[derive(SimpleObject)]
pub struct StatusTimeRow {
    pub workflow: String,
    pub status: String,
    pub visits: i64,
    pub avg_hours: f64,
    pub total_hours: f64,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Dashboard {
    pub total: i64,
    pub open: i64,
    pub closed: i64,
    #[graphql(complexity = "crate::graphql::limits::many(child_complexity)")]
    pub volume: Vec<DayCount>,
    #[graphql(complexity = "crate::graphql::limits::few(child_complexity)")]
    pub backlog: Vec<BacklogRow>,
    #[graphql(complexity = "crate::graphql::limits::few(child_complexity)")]
    pub cycle_time: Vec<CycleTimeRow>,
    #[graphql(complexity = "crate::graphql::limits::few(child_complexity)")]
    pub time_in_status: Vec<StatusTimeRow>,
    pub reworked: i64,
    /// Share of requests sent back at least once (0..1).
    pub rework_rate: f64,
}

#[ComplexObject]
impl Dashboard {
    /// When the figures were computed.
    async fn generated_at(&self, ctx: &Context<'_>) -> Result<DateTime<Utc>> {
        Ok(ctx.data::<AppState>()?.clock.now())
    }
}

impl TryFrom<reports::Dashboard> for Dashboard {
    type Error = AppError;

    fn try_from(d: reports::Dashboard) -> AppResult<Self> {
        Ok(Self {
            total: d.total,
            open: d.open,
            closed: d.closed,
            volume: d
                .volume
                .into_iter()
                .map(|v| DayCount {
                    day: v.day,
                    created: v.created,
                    closed: v.closed,
                })
                .collect(),
            backlog: d
                .backlog
                .into_iter()
                .map(|b| {
                    Ok(BacklogRow {
                        category: StatusCategory::from_stored(&b.category)?,
                        status: b.status,
                        total: b.total,
                        under_1d: b.under_1d,
                        d1_to_3: b.d1_to_3,
                        d3_to_7: b.d3_to_7,
                        over_7d: b.over_7d,
                    })
                })
                .collect::<AppResult<_>>()?,
            cycle_time: d
                .cycle_time
                .into_iter()
                .map(|c| {
                    Ok(CycleTimeRow {
                        priority: Priority::from_stored(&c.priority)?,
                        workflow: c.workflow,
                        count: c.count,
                        p50_hours: c.p50_hours,
                        p90_hours: c.p90_hours,
                    })
                })
                .collect::<AppResult<_>>()?,
            time_in_status: d
                .time_in_status
                .into_iter()
                .map(|s| StatusTimeRow {
                    workflow: s.workflow,
                    status: s.status,
                    visits: s.visits,
                    avg_hours: s.avg_hours,
                    total_hours: s.total_hours,
                })
                .collect(),
            reworked: d.reworked,
            rework_rate: d.rework_rate,
        })
    }
}

#[derive(SimpleObject)]
pub struct EventEdge {
    pub cursor: String,
    pub node: Event,
}

#[derive(SimpleObject)]
pub struct EventConnection {
    #[graphql(complexity = "child_complexity")]
    pub edges: Vec<EventEdge>,
    pub page_info: PageInfo,
}
