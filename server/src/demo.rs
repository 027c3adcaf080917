//! Creating the first owner of a workspace, and the demo workspace a newcomer signs in to.

use app::{AppError, Role};

use crate::auth::{check_new_password, hash_password};
use crate::store::{NewMember, Store, StoreError};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "switchboard-demo";

/// The demo team: email, name, role.
pub const DEMO_MEMBERS: [(&str, &str, Role); 5] = [
    ("owner@demo.switchboard.test", "Olivia Owner", Role::Owner),
    ("admin@demo.switchboard.test", "Adam Admin", Role::Admin),
    ("supervisor@demo.switchboard.test", "Sofia Supervisor", Role::Supervisor),
    ("agent1@demo.switchboard.test", "Ava Agent", Role::Agent),
    ("agent2@demo.switchboard.test", "Ben Agent", Role::Agent),
];

/// The key of the demo workspace's web chat channel: `/chat/demo-web`.
pub const DEMO_WEB_CHANNEL: &str = "demo-web";

/// What the demo assistant knows.
pub const DEMO_ANSWERS: [(&str, &str); 4] = [
    (
        "How do I reset my password?",
        "Use the \"Forgot password\" link on the sign-in page; the reset email arrives within a minute.",
    ),
    (
        "What are your opening hours?",
        "Our team is available Monday to Friday, 9:00 to 17:00 CET.",
    ),
    (
        "Where can I find my invoice?",
        "Invoices are in your account under Billing → Invoices, as PDF.",
    ),
    (
        "How do I cancel my subscription?",
        "Go to Billing → Plan and choose Cancel plan; it stays active until the end of the period.",
    ),
];

/// Creates a workspace and its owner. Refuses a weak password or an email already in use.
pub async fn create_owner(
    store: &Store,
    workspace: &str,
    email: &str,
    name: &str,
    password: &str,
) -> Result<i64, AppError> {
    let workspace = workspace.trim();
    if workspace.is_empty() {
        return Err(AppError::invalid("Workspace name", "must not be empty"));
    }
    let email = email.trim().to_lowercase();
    if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        return Err(AppError::invalid("Email", format!("`{email}` is not an email address")));
    }
    check_new_password(password)?;
    if store.member_by_email(&email).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "A team member with the email {email} already exists."
        )));
    }
    let hash = hash_password(password)?;
    let workspace_id = store.create_workspace(workspace).await?;
    store
        .create_member(
            workspace_id,
            NewMember {
                email: &email,
                name: name.trim(),
                password_hash: &hash,
                role: Role::Owner,
            },
        )
        .await?;
    Ok(workspace_id)
}

/// What `seed_demo` did.
pub enum Seeded {
    Created { workspace_id: i64 },
    AlreadyThere,
}

/// Creates the demo workspace "Acme Support": the five members above, the workflow "Support
/// Assistant" and the operator group "Frontline" (both agents, on that workflow). Running it
/// again changes nothing.
pub async fn seed_demo(store: &Store) -> Result<Seeded, StoreError> {
    seed_demo_copy(store, &DemoNames::default()).await
}

/// The sign-ins and chat of one copy of the demo workspace: the demo's own, or a named copy
/// (`owner@<name>.switchboard.test`, `/chat/<name>-web`) — several side by side, as the
/// end-to-end tests make one per spec.
#[derive(Default)]
pub struct DemoNames {
    name: Option<String>,
}

impl DemoNames {
    /// A named copy: the name is 1 to 40 lowercase letters, digits and hyphens.
    pub fn copy(name: &str) -> Result<DemoNames, AppError> {
        let ok = (1..=40).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !name.starts_with('-');
        if !ok {
            return Err(AppError::invalid(
                "Name",
                "must be 1 to 40 lowercase letters, digits and hyphens",
            ));
        }
        Ok(DemoNames {
            name: Some(name.to_string()),
        })
    }

    /// The sign-in of a demo member (`DEMO_MEMBERS`' e-mail) in this copy.
    pub fn email(&self, demo_email: &str) -> String {
        match (&self.name, demo_email.split_once('@')) {
            (Some(name), Some((local, _))) => format!("{local}@{name}.switchboard.test"),
            _ => demo_email.to_string(),
        }
    }

    /// The key of this copy's web chat channel.
    pub fn channel(&self) -> String {
        match &self.name {
            Some(name) => format!("{name}-web"),
            None => DEMO_WEB_CHANNEL.to_string(),
        }
    }
}

/// Creates one copy of the demo workspace (see `seed_demo`); running it again changes nothing.
pub async fn seed_demo_copy(store: &Store, names: &DemoNames) -> Result<Seeded, StoreError> {
    if store.member_by_email(&names.email(DEMO_MEMBERS[0].0)).await?.is_some() {
        return Ok(Seeded::AlreadyThere);
    }
    let hash = hash_password(DEMO_PASSWORD).map_err(|_| StoreError::NotFound)?;
    let workspace_id = store.create_workspace("Acme Support").await?;
    let mut agents = Vec::new();
    for (email, name, role) in DEMO_MEMBERS {
        let id = store
            .create_member(
                workspace_id,
                NewMember {
                    email: &names.email(email),
                    name,
                    password_hash: &hash,
                    role,
                },
            )
            .await?;
        if role == Role::Agent {
            agents.push(id);
        }
    }
    let workflow = store.create_workflow(workspace_id, "Support Assistant").await?;
    let group = store
        .create_group(workspace_id, "Frontline", Some("First line of customer support"))
        .await?;
    store.add_group_workflow(workspace_id, group, workflow).await?;
    for agent in agents {
        store.add_group_member(workspace_id, group, agent).await?;
    }
    for (question, answer) in DEMO_ANSWERS {
        store.add_workflow_answer(workflow, question, answer).await?;
    }
    store
        .create_channel(
            workspace_id,
            workflow,
            "web",
            "Website chat",
            "#0369a1",
            &names.channel(),
        )
        .await?;
    if names.name.is_none() {
        // The demo's owner runs this demo instance: Plans is in their menu.
        store.set_instance_admin(DEMO_MEMBERS[0].0, true).await?;
    }
    Ok(Seeded::Created { workspace_id })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_copy_has_its_own_sign_ins_and_chat_and_the_demo_keeps_its_own() {
        let copy = DemoNames::copy("e2e-1a2b").unwrap();
        assert_eq!(
            copy.email("agent1@demo.switchboard.test"),
            "agent1@e2e-1a2b.switchboard.test"
        );
        assert_eq!(copy.channel(), "e2e-1a2b-web");
        let demo = DemoNames::default();
        assert_eq!(
            demo.email("agent1@demo.switchboard.test"),
            "agent1@demo.switchboard.test"
        );
        assert_eq!(demo.channel(), DEMO_WEB_CHANNEL);
    }

    #[test]
    fn a_copy_is_named_in_lowercase_letters_digits_and_hyphens() {
        for bad in ["", "Upper", "has space", "dot.ted", "-leading", &"x".repeat(41)] {
            assert!(DemoNames::copy(bad).is_err(), "{bad:?} accepted");
        }
    }
}
