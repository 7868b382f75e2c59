//! DataLoaders for relation fields, so a page of requests costs a fixed number of SQL
//! statements whatever its size: each loader gathers the keys asked for while one level of the
//! query resolves and answers them with one `IN (...)` query. Loaders live for one HTTP request.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::db::entities::{approval_decision, approval_step, event, team, user, workflow};
use crate::error::AppError;
use crate::services::directory;

type LoadResult<K, V> = Result<HashMap<K, V>, Arc<AppError>>;

fn err(e: impl Into<AppError>) -> Arc<AppError> {
    Arc::new(e.into())
}

/// Everything a resolver may batch, built per request.
pub struct Loaders {
    pub users: DataLoader<UserLoader>,
    pub teams: DataLoader<TeamLoader>,
    pub workflows: DataLoader<WorkflowLoader>,
    pub steps: DataLoader<StepLoader>,
    pub decisions: DataLoader<DecisionLoader>,
    pub events: DataLoader<EventLoader>,
    pub user_roles: DataLoader<UserRolesLoader>,
    pub user_teams: DataLoader<UserTeamsLoader>,
    pub team_members: DataLoader<TeamMembersLoader>,
    /// Deliveries and their attempts (`graphql::integrations`).
    pub integrations: crate::graphql::integrations::IntegrationLoaders,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        let d = || db.clone();
        Self {
            users: DataLoader::new(UserLoader(d()), tokio::spawn),
            teams: DataLoader::new(TeamLoader(d()), tokio::spawn),
            workflows: DataLoader::new(WorkflowLoader(d()), tokio::spawn),
            steps: DataLoader::new(StepLoader(d()), tokio::spawn),
            decisions: DataLoader::new(DecisionLoader(d()), tokio::spawn),
            events: DataLoader::new(EventLoader(d()), tokio::spawn),
            user_roles: DataLoader::new(UserRolesLoader(d()), tokio::spawn),
            user_teams: DataLoader::new(UserTeamsLoader(d()), tokio::spawn),
            team_members: DataLoader::new(TeamMembersLoader(d()), tokio::spawn),
            integrations: crate::graphql::integrations::IntegrationLoaders::new(db),
        }
    }
}

pub struct UserLoader(DatabaseConnection);
impl Loader<String> for UserLoader {
    type Value = user::Model;
    type Error = Arc<AppError>;
    async fn load(&self, keys: &[String]) -> LoadResult<String, user::Model> {
        let rows = user::Entity::find()
            .filter(user::Column::Id.is_in(keys.to_vec()))
            .all(&self.0)
            .await
            .map_err(err)?;
        Ok(rows.into_iter().map(|u| (u.id.clone(), u)).collect())
    }
}

/// Teams by key.
pub struct TeamLoader(DatabaseConnection);
impl Loader<String> for TeamLoader {
    type Value = team::Model;
    type Error = Arc<AppError>;
    async fn load(&self, keys: &[String]) -> LoadResult<String, team::Model> {
        let rows = team::Entity::find()
            .filter(team::Column::Key.is_in(keys.to_vec()))
            .all(&self.0)
            .await
            .map_err(err)?;
        Ok(rows.into_iter().map(|t| (t.key.clone(), t)).collect())
    }
}

/// Workflow versions by id.
pub struct WorkflowLoader(DatabaseConnection);
impl Loader<String> for WorkflowLoader {
    type Value = workflow::Model;
    type Error = Arc<AppError>;
    async fn load(&self, keys: &[String]) -> LoadResult<String, workflow::Model> {
        let rows = workflow::Entity::find()
            .filter(workflow::Column::Id.is_in(keys.to_vec()))
            .all(&self.0)
            .await
            .map_err(err)?;
        Ok(rows.into_iter().map(|w| (w.id.clone(), w)).collect())
    }
}

/// The latest approval round of each request, by request id.
pub struct StepLoader(DatabaseConnection);
impl Loader<String> for StepLoader {
    type Value = Vec<approval_step::Model>;
    type Error = Arc<AppError>;
    async fn load(&self, keys: &[String]) -> LoadResult<String, Vec<approval_step::Model>> {
        let rows = approval_step::Entity::find()
            .filter(approval_step::Column::RequestId.is_in(keys.to_vec()))
            .order_by_asc(approval_step::Column::Position)
            .all(&self.0)
            .await
            .map_err(err)?;
        let mut latest: HashMap<String, i32> = HashMap::new();
        for s in &rows {
            let r = latest.entry(s.request_id.clone()).or_insert(s.round);
            *r = (*r).max(s.round);
        }
        let mut out: HashMap<String, Vec<approval_step::Model>> =
            keys.iter().map(|k| (k.clone(), vec![])).collect();
        for s in rows {
            if latest.get(&s.request_id) == Some(&s.round) {
                out.entry(s.request_id.clone()).or_default().push(s);
            }
        }
        Ok(out)
    }
}

/// Decisions by step id.
pub struct DecisionLoader(DatabaseConnection);
impl Loader<String> for DecisionLoader {
    type Value = Vec<approval_decision::Model>;
    type Error = Arc<AppError>;
    async fn load(&self, keys: &[String]) -> LoadResult<String, Vec<approval_decision::Model>> {
        let mut out = crate::services::approvals::decisions_of_steps(&self.0, keys)
            .await
            .map_err(Arc::new)?;
        for k in keys {
            out.entry(k.clone()).or_default();
        }
        Ok(out)
    }
}

/// The timeline of each request, by request id, oldest first.
pub struct EventLoader(DatabaseConnection);
impl Loader<String> for EventLoader {
    type Value = Vec<event::Model>;
    type Error = Arc<AppError>;
    async fn load(&self, keys: &[String]) -> LoadResult<String, Vec<event::Model>> {
        let rows = event::Entity::find()
            .filter(event::Column::Stream.is_in(keys.to_vec()))
            .order_by_asc(event::Column::Seq)
            .all(&self.0)
            .await
            .map_err(err)?;
        let mut out: HashMap<String, Vec<event::Model>> =
            keys.iter().map(|k| (k.clone(), vec![])).collect();
        for e in rows {
            out.entry(e.stream.clone()).or_default().push(e);
        }
        Ok(out)
    }
}

/// Role keys by user id.
pub struct UserRolesLoader(DatabaseConnection);
impl Loader<String> for UserRolesLoader {
    type Value = Vec<String>;
    type Error = Arc<AppError>;
    async fn load(&self, keys: &[String]) -> LoadResult<String, Vec<String>> {
        let mut out = directory::roles_of_users(&self.0, keys)
            .await
            .map_err(Arc::new)?;
        for k in keys {
            out.entry(k.clone()).or_default();
        }
        Ok(out)
    }
}

/// Team keys by user id.
pub struct UserTeamsLoader(DatabaseConnection);
impl Loader<String> for UserTeamsLoader {
    type Value = Vec<String>;
    type Error = Arc<AppError>;
    async fn load(&self, keys: &[String]) -> LoadResult<String, Vec<String>> {
        let mut out = directory::teams_of_users(&self.0, keys)
            .await
            .map_err(Arc::new)?;
        for k in keys {
            out.entry(k.clone()).or_default();
        }
        Ok(out)
    }
}

/// Member user ids by team key.
pub struct TeamMembersLoader(DatabaseConnection);
impl Loader<String> for TeamMembersLoader {
    type Value = Vec<String>;
    type Error = Arc<AppError>;
    async fn load(&self, keys: &[String]) -> LoadResult<String, Vec<String>> {
        let mut out = directory::members_of_teams(&self.0, keys)
            .await
            .map_err(Arc::new)?;
        for k in keys {
            out.entry(k.clone()).or_default();
        }
        Ok(out)
    }
}
