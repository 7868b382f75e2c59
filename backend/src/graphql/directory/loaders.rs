//! The directory's DataLoaders: users by id, teams by key, and the links between them (a
//! user's roles and teams, a team's members). Each answers a batch with one `db::batch` or
//! `services::directory` call.

use async_graphql::Data;
use async_graphql::dataloader::Loader;

use crate::db::batch;
use crate::db::entities::{team, user};
use crate::graphql::loaders::{LoadError, LoadResult, batching, shared};
use crate::services::directory;
use crate::state::AppState;

/// Registers each of the directory's loaders for one request or session.
pub fn register(data: &mut Data, state: &AppState) {
    data.insert(batching(UserLoader(state.clone())));
    data.insert(batching(TeamLoader(state.clone())));
    data.insert(batching(UserRolesLoader(state.clone())));
    data.insert(batching(UserTeamsLoader(state.clone())));
    data.insert(batching(TeamMembersLoader(state.clone())));
}

/// Users by id.
pub struct UserLoader(AppState);

impl Loader<String> for UserLoader {
    type Value = user::Model;
    type Error = LoadError;
    async fn load(&self, ids: &[String]) -> LoadResult<user::Model> {
        batch::users_by_id(&self.0.db, ids).await.map_err(shared)
    }
}

/// Teams by key.
pub struct TeamLoader(AppState);

impl Loader<String> for TeamLoader {
    type Value = team::Model;
    type Error = LoadError;
    async fn load(&self, keys: &[String]) -> LoadResult<team::Model> {
        batch::teams_by_key(&self.0.db, keys).await.map_err(shared)
    }
}

/// Role keys by user id.
pub struct UserRolesLoader(AppState);

impl Loader<String> for UserRolesLoader {
    type Value = Vec<String>;
    type Error = LoadError;
    async fn load(&self, user_ids: &[String]) -> LoadResult<Vec<String>> {
        directory::roles_of_users(&self.0.db, user_ids)
            .await
            .map_err(shared)
    }
}

/// Team keys by user id.
pub struct UserTeamsLoader(AppState);

impl Loader<String> for UserTeamsLoader {
    type Value = Vec<String>;
    type Error = LoadError;
    async fn load(&self, user_ids: &[String]) -> LoadResult<Vec<String>> {
        directory::teams_of_users(&self.0.db, user_ids)
            .await
            .map_err(shared)
    }
}

/// Member user ids by team key.
pub struct TeamMembersLoader(AppState);

impl Loader<String> for TeamMembersLoader {
    type Value = Vec<String>;
    type Error = LoadError;
    async fn load(&self, keys: &[String]) -> LoadResult<Vec<String>> {
        directory::members_of_teams(&self.0.db, keys)
            .await
            .map_err(shared)
    }
}
