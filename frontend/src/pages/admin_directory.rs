//! `/admin/users`, `/admin/teams`, `/admin/roles`: the directory an admin keeps.
//!
//! All three read one `Directory` query (users, teams, roles, the permission list and the
//! workflows for scopes) and reload it after each change.

use leptos::prelude::*;

use crate::api::ops::directory::{
    DirectoryRoles as RoleRow, DirectoryUsers as UserRow, ResponseData as Dir,
};
use crate::api::{self, ApiError, ops};
use crate::components::feedback::{MaybeError, load};
use crate::format;

fn directory() -> LocalResource<Result<Dir, ApiError>> {
    LocalResource::new(|| api::run::<ops::Directory>(ops::directory::Variables))
}

/// A group of checkboxes over `(value, label)` choices writing into `chosen`.
fn checkboxes(
    prefix: String,
    legend: &'static str,
    choices: Vec<(String, String)>,
    chosen: RwSignal<Vec<String>>,
) -> impl IntoView {
    view! {
        <fieldset class="field">
            <legend>{legend}</legend>
            {choices.into_iter().map(|(value, label)| {
                let id = format!("{prefix}-{value}");
                let for_id = id.clone();
                let value_for_check = value.clone();
                view! {
                    <label class="check" for=for_id>
                        <input type="checkbox" id=id
                            prop:checked=move || chosen.with(|c| c.contains(&value_for_check))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                let value = value.clone();
                                chosen.update(|c| { c.retain(|v| *v != value); if on { c.push(value); } });
                            }/>
                        {label}
                    </label>
                }
            }).collect_view()}
        </fieldset>
    }
}

/// A text input with its label.
fn text_input(
    id: String,
    label: &'static str,
    kind: &'static str,
    value: RwSignal<String>,
) -> impl IntoView {
    let for_id = id.clone();
    view! {
        <div class="field">
            <label for=for_id>{label}</label>
            <input id=id type=kind bind:value=value/>
        </div>
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let dir = directory();
    let editing = RwSignal::new(None::<String>);
    view! {
        <h1>"Users"</h1>
        {load(dir, move |data| {
            let roles: Vec<(String, String)> = data.roles.iter().map(|r| (r.key.clone(), r.name.clone())).collect();
            let teams: Vec<(String, String)> = data.teams.iter().map(|t| (t.key.clone(), t.name.clone())).collect();
            let users = data.users.clone();
            view! {
                <div class="table-wrap">
                    <table>
                        <thead><tr>
                            <th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Roles"</th>
                            <th scope="col">"Teams"</th><th scope="col">"Manager"</th><th scope="col">"Active"</th>
                            <th scope="col"><span class="sr-only">"Actions"</span></th>
                        </tr></thead>
                        <tbody>
                            {users.into_iter().map(|user| {
                                let id = user.id.clone();
                                let (roles, teams) = (roles.clone(), teams.clone());
                                let edit_row = user.clone();
                                view! {
                                    <tr data-user=user.email.clone()>
                                        <td>{user.name.clone()}</td>
                                        <td>{user.email.clone()}</td>
                                        <td>{user.roles.join(", ")}</td>
                                        <td>{user.teams.iter().map(|t| t.name.clone()).collect::<Vec<_>>().join(", ")}</td>
                                        <td>{user.manager.as_ref().map(|m| m.email.clone()).unwrap_or_default()}</td>
                                        <td>{if user.active { "Yes" } else { "No" }}</td>
                                        <td><button type="button" class="small secondary" on:click={
                                            let id = id.clone();
                                            move |_| editing.set(Some(id.clone()))
                                        }>"Edit"</button></td>
                                    </tr>
                                    {move || (editing.get().as_deref() == Some(id.as_str())).then(|| view! {
                                        <tr><td colspan="7">
                                            <UserForm existing=Some(edit_row.clone()) roles=roles.clone() teams=teams.clone()
                                                done=Callback::new(move |()| { editing.set(None); dir.refetch(); })/>
                                        </td></tr>
                                    })}
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <section class="card">
                    <h2>"Create a user"</h2>
                    <UserForm existing=None roles teams done=Callback::new(move |()| dir.refetch())/>
                </section>
            }
        })}
    }
}

#[component]
fn UserForm(
    existing: Option<UserRow>,
    roles: Vec<(String, String)>,
    teams: Vec<(String, String)>,
    done: Callback<()>,
) -> impl IntoView {
    let prefix = existing
        .as_ref()
        .map(|u| format!("user-{}", u.id))
        .unwrap_or_else(|| "new-user".to_owned());
    let name = RwSignal::new(
        existing
            .as_ref()
            .map(|u| u.name.clone())
            .unwrap_or_default(),
    );
    let email = RwSignal::new(
        existing
            .as_ref()
            .map(|u| u.email.clone())
            .unwrap_or_default(),
    );
    let password = RwSignal::new(String::new());
    let manager = RwSignal::new(
        existing
            .as_ref()
            .and_then(|u| u.manager.as_ref().map(|m| m.email.clone()))
            .unwrap_or_default(),
    );
    let chosen_roles = RwSignal::new(
        existing
            .as_ref()
            .map(|u| u.roles.clone())
            .unwrap_or_default(),
    );
    let chosen_teams = RwSignal::new(
        existing
            .as_ref()
            .map(|u| u.teams.iter().map(|t| t.key.clone()).collect())
            .unwrap_or_default(),
    );
    let active = RwSignal::new(existing.as_ref().is_none_or(|u| u.active));
    let error = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(None::<String>);
    let id = existing.as_ref().map(|u| u.id.clone());
    let is_new = id.is_none();
    let had_manager = existing.as_ref().is_some_and(|u| u.manager.is_some());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let blank_none = |s: String| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let id = id.clone();
        leptos::task::spawn_local(async move {
            let result = match id {
                None => api::run::<ops::CreateUser>(ops::create_user::Variables {
                    input: ops::create_user::CreateUserInput {
                        email: email.get_untracked().trim().to_owned(),
                        name: name.get_untracked().trim().to_owned(),
                        password: blank_none(password.get_untracked()),
                        roles: chosen_roles.get_untracked(),
                        teams: chosen_teams.get_untracked(),
                        manager: blank_none(manager.get_untracked()),
                    },
                })
                .await
                .map(|data| data.create_user.email),
                Some(id) => {
                    let manager = blank_none(manager.get_untracked());
                    // An emptied manager field means "no manager", which needs an explicit
                    // `null` (see `clear_manager.graphql`).
                    let cleared = if had_manager && manager.is_none() {
                        api::run::<ops::ClearManager>(ops::clear_manager::Variables {
                            id: id.clone(),
                        })
                        .await
                        .map(|_| ())
                    } else {
                        Ok(())
                    };
                    match cleared {
                        Err(e) => Err(e),
                        Ok(()) => api::run::<ops::UpdateUser>(ops::update_user::Variables {
                            input: ops::update_user::UpdateUserInput {
                                id,
                                name: Some(name.get_untracked().trim().to_owned()),
                                password: blank_none(password.get_untracked()),
                                roles: Some(chosen_roles.get_untracked()),
                                teams: Some(chosen_teams.get_untracked()),
                                manager,
                                active: Some(active.get_untracked()),
                            },
                        })
                        .await
                        .map(|data| data.update_user.email),
                    }
                }
            };
            match result {
                Ok(email) => {
                    saved.set(Some(format!("Saved {email}.")));
                    done.run(());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <form class="form" on:submit=submit novalidate>
            {is_new.then(|| text_input(format!("{prefix}-email"), "Email", "email", email))}
            {text_input(format!("{prefix}-name"), "Name", "text", name)}
            {text_input(format!("{prefix}-password"), if is_new { "Password (optional)" } else { "New password (optional)" }, "password", password)}
            {text_input(format!("{prefix}-manager"), "Manager's email (optional)", "email", manager)}
            {checkboxes(format!("{prefix}-role"), "Roles", roles, chosen_roles)}
            {checkboxes(format!("{prefix}-team"), "Teams", teams, chosen_teams)}
            {(!is_new).then(|| {
                let active_id = format!("{prefix}-active");
                let active_for = active_id.clone();
                view! {
                    <label class="check" for=active_for>
                        <input type="checkbox" id=active_id bind:checked=active/>"Active"
                    </label>
                }
            })}
            <MaybeError error/>
            <p role="status">{move || saved.get()}</p>
            <button type="submit">{if is_new { "Create user" } else { "Save" }}</button>
        </form>
    }
}

#[component]
pub fn TeamsPage() -> impl IntoView {
    let dir = directory();
    let key = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let input = ops::create_team::CreateTeamInput {
            key: key.get_untracked().trim().to_owned(),
            name: name.get_untracked().trim().to_owned(),
        };
        leptos::task::spawn_local(async move {
            match api::run::<ops::CreateTeam>(ops::create_team::Variables { input }).await {
                Ok(_) => {
                    key.set(String::new());
                    name.set(String::new());
                    dir.refetch();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <h1>"Teams"</h1>
        {load(dir, move |data| view! {
            <ul class="list">
                {data.teams.into_iter().map(|team| {
                    let new_name = RwSignal::new(team.name.clone());
                    let row_error = RwSignal::new(None::<ApiError>);
                    let team_key = team.key.clone();
                    let rename = move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        row_error.set(None);
                        let input = ops::update_team::UpdateTeamInput { key: team_key.clone(), name: new_name.get_untracked().trim().to_owned() };
                        leptos::task::spawn_local(async move {
                            match api::run::<ops::UpdateTeam>(ops::update_team::Variables { input }).await {
                                Ok(_) => dir.refetch(),
                                Err(e) => row_error.set(Some(e)),
                            }
                        });
                    };
                    let input_id = format!("team-name-{}", team.key);
                    view! {
                        <li data-team=team.key.clone()>
                            <form class="inline" on:submit=rename>
                                <label for=input_id.clone()><code>{team.key.clone()}</code>" name"</label>
                                <input id=input_id type="text" bind:value=new_name/>
                                <span class="muted">{format::plural(team.members.len() as i64, "member", "members")}</span>
                                <button type="submit" class="small">"Rename"</button>
                            </form>
                            <MaybeError error=row_error/>
                        </li>
                    }
                }).collect_view()}
            </ul>
        })}
        <section class="card">
            <h2>"Create a team"</h2>
            <form class="form" on:submit=create novalidate>
                {text_input("new-team-key".to_owned(), "Key (lowercase, e.g. facilities)", "text", key)}
                {text_input("new-team-name".to_owned(), "Name", "text", name)}
                <MaybeError error/>
                <button type="submit">"Create team"</button>
            </form>
        </section>
    }
}

#[component]
pub fn RolesPage() -> impl IntoView {
    let dir = directory();
    let editing = RwSignal::new(None::<String>);
    view! {
        <h1>"Roles"</h1>
        {load(dir, move |data| {
            let permissions: Vec<(String, String)> = data.permissions.iter().map(|p| (p.name.clone(), p.description.clone())).collect();
            view! {
                <ul class="list roles">
                    {data.roles.clone().into_iter().map(|role| {
                        let key = role.key.clone();
                        let permissions = permissions.clone();
                        let grants = role.permissions.iter().map(|g| match &g.workflows {
                            Some(w) => format!("{} on {}", g.permission, w.join(", ")),
                            None => g.permission.clone(),
                        }).collect::<Vec<_>>().join("; ");
                        let edit_role = role.clone();
                        view! {
                            <li data-role=role.key.clone()>
                                <strong>{role.name.clone()}</strong>" "<code>{role.key.clone()}</code>
                                {role.builtin.then_some(" (built-in)")}
                                <div class="muted">{grants}</div>
                                <button type="button" class="small secondary" on:click={
                                    let key = key.clone();
                                    move |_| editing.set(Some(key.clone()))
                                }>"Edit"</button>
                                {move || (editing.get().as_deref() == Some(key.as_str())).then(|| view! {
                                    <RoleForm existing=Some(edit_role.clone()) permissions=permissions.clone()
                                        done=Callback::new(move |()| { editing.set(None); dir.refetch(); })/>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <section class="card">
                    <h2>"Create a role"</h2>
                    <RoleForm existing=None permissions done=Callback::new(move |()| dir.refetch())/>
                </section>
            }
        })}
    }
}

#[component]
fn RoleForm(
    existing: Option<RoleRow>,
    permissions: Vec<(String, String)>,
    done: Callback<()>,
) -> impl IntoView {
    let prefix = existing
        .as_ref()
        .map(|r| format!("role-{}", r.key))
        .unwrap_or_else(|| "new-role".to_owned());
    let key = RwSignal::new(existing.as_ref().map(|r| r.key.clone()).unwrap_or_default());
    let name = RwSignal::new(
        existing
            .as_ref()
            .map(|r| r.name.clone())
            .unwrap_or_default(),
    );
    let is_new = existing.is_none();
    // One row per permission: granted or not, and an optional scope (workflow keys,
    // comma-separated; empty means every workflow).
    let rows: Vec<(String, String, RwSignal<bool>, RwSignal<String>)> = permissions
        .into_iter()
        .map(|(permission, description)| {
            let grant = existing
                .as_ref()
                .and_then(|r| r.permissions.iter().find(|g| g.permission == permission));
            let scope = grant
                .and_then(|g| g.workflows.clone())
                .map(|w| w.join(", "))
                .unwrap_or_default();
            (
                permission,
                description,
                RwSignal::new(grant.is_some()),
                RwSignal::new(scope),
            )
        })
        .collect();
    let error = RwSignal::new(None::<ApiError>);
    let grants_of = {
        let rows = rows.clone();
        move || {
            rows.iter()
                .filter(|(_, _, on, _)| on.get_untracked())
                .map(|(permission, _, _, scope)| {
                    let workflows: Vec<String> = scope
                        .get_untracked()
                        .split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect();
                    (
                        permission.clone(),
                        (!workflows.is_empty()).then_some(workflows),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let grants = grants_of();
        let (key, name) = (
            key.get_untracked().trim().to_owned(),
            name.get_untracked().trim().to_owned(),
        );
        leptos::task::spawn_local(async move {
            let result = if is_new {
                api::run::<ops::CreateRole>(ops::create_role::Variables {
                    input: ops::create_role::CreateRoleInput {
                        key,
                        name,
                        permissions: grants
                            .into_iter()
                            .map(
                                |(permission, workflows)| ops::create_role::GrantInputObject {
                                    permission,
                                    workflows,
                                },
                            )
                            .collect(),
                    },
                })
                .await
                .map(|_| ())
            } else {
                api::run::<ops::UpdateRole>(ops::update_role::Variables {
                    input: ops::update_role::UpdateRoleInput {
                        key,
                        name: Some(name),
                        permissions: Some(
                            grants
                                .into_iter()
                                .map(
                                    |(permission, workflows)| ops::update_role::GrantInputObject {
                                        permission,
                                        workflows,
                                    },
                                )
                                .collect(),
                        ),
                    },
                })
                .await
                .map(|_| ())
            };
            match result {
                Ok(()) => done.run(()),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <form class="form" on:submit=submit novalidate>
            {is_new.then(|| text_input(format!("{prefix}-key"), "Key", "text", key))}
            {text_input(format!("{prefix}-name"), "Name", "text", name)}
            <fieldset class="field">
                <legend>"Permissions"</legend>
                {rows.into_iter().map(|(permission, description, on, scope)| {
                    let box_id = format!("{prefix}-perm-{}", permission.replace('.', "-"));
                    let scope_id = format!("{box_id}-scope");
                    let (box_for, scope_for) = (box_id.clone(), scope_id.clone());
                    view! {
                        <div class="grant">
                            <label class="check" for=box_for>
                                <input type="checkbox" id=box_id bind:checked=on/>
                                <code>{permission.clone()}</code>" "<span class="muted">{description}</span>
                            </label>
                            <label for=scope_for class="sr-only">{format!("Workflows for {permission}")}</label>
                            <input id=scope_id type="text" placeholder="all workflows, or keys: a, b" bind:value=scope
                                disabled=move || !on.get()/>
                        </div>
                    }
                }).collect_view()}
            </fieldset>
            <MaybeError error/>
            <button type="submit">{if is_new { "Create role" } else { "Save role" }}</button>
        </form>
    }
}
