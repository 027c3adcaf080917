//! A member's own password: changed while signed in, reset with an e-mailed link, or with a
//! link made on the server for a locked-out owner. Every other session ends each time.

use app::auth::{
    AcceptInvitation, ChangePassword, CurrentMember, GetPasswordReset, PasswordResetView, RequestPasswordReset,
    ResetPassword, ResetRequested,
};
use app::people::{Invitation, InviteMember};
use app::AppError;

use crate::helpers::*;
use crate::process::switchboard;

const NEW_PASSWORD: &str = "a much longer passphrase";

async fn signed_in(app: &TestApp, email: &str, password: &str) -> bool {
    app.send(&new_client(), &sign_in_as(email, password)).await.status() == 200
}

async fn me_with(app: &TestApp, client: &reqwest::Client) -> Result<app::Me, AppError> {
    app.run_as(client, CurrentMember {}).await
}

fn change_password(current: &str, password: &str, confirm: &str) -> ChangePassword {
    ChangePassword {
        current: current.into(),
        password: password.into(),
        confirm: confirm.into(),
    }
}

fn reset_password(token: &str, password: &str, confirm: &str) -> ResetPassword {
    ResetPassword {
        token: token.into(),
        password: password.into(),
        confirm: confirm.into(),
    }
}

fn request_reset(email: &str) -> RequestPasswordReset {
    RequestPasswordReset { email: email.into() }
}

fn reset_view(token: &str) -> GetPasswordReset {
    GetPasswordReset { token: token.into() }
}

/// The reset link's token, from a link ending in `/reset-password/<token>`.
fn token_of(link: &str) -> String {
    link.rsplit_once("/reset-password/")
        .map(|(_, t)| t.trim().to_string())
        .expect("a reset link")
}

#[tokio::test]
async fn a_member_changes_their_password_and_their_other_devices_are_signed_out() {
    let app = TestApp::signed_in_as(AGENT).await;
    let laptop = TestApp::client_signed_in(&app, AGENT).await;

    let wrong = app
        .send(
            &app.client,
            &change_password("not-my-password", NEW_PASSWORD, NEW_PASSWORD),
        )
        .await;
    assert_eq!(wrong.status(), 400);
    assert_eq!(
        result::<()>(wrong).await.unwrap_err().to_string(),
        "Current password: is not your password"
    );
    let differ = app
        .send(
            &app.client,
            &change_password(PASSWORD, NEW_PASSWORD, "something else entirely"),
        )
        .await;
    assert_eq!(differ.status(), 400);
    assert!(me_with(&app, &laptop).await.is_ok(), "nothing changed yet");

    let res = app
        .send(&app.client, &change_password(PASSWORD, NEW_PASSWORD, NEW_PASSWORD))
        .await;
    assert_eq!(res.status(), 200);
    assert!(app.me().await.is_ok(), "the session in use stays");
    assert_eq!(me_with(&app, &laptop).await.unwrap_err(), AppError::Unauthenticated);
    assert!(
        !signed_in(&app, AGENT, PASSWORD).await,
        "the old password no longer works"
    );
    assert!(signed_in(&app, AGENT, NEW_PASSWORD).await);
    let audit = app.texts("SELECT action FROM audit_log ORDER BY id").await;
    assert!(audit.iter().any(|a| a == "member.password_changed"), "{audit:?}");
}

#[tokio::test]
async fn a_forgotten_password_is_reset_with_an_emailed_link_that_works_once() {
    let (app, smtp) =
        crate::fake_smtp::spawn_app_with_mail(&[("SWITCHBOARD_PUBLIC_URL", "https://chat.acme.example")]).await;
    let phone = TestApp::client_signed_in(&app, AGENT).await;

    // Known and unknown addresses get the same answer; only the known one gets an e-mail.
    for email in ["nobody@example.com", AGENT] {
        let asked: ResetRequested = app.run(request_reset(email)).await.unwrap();
        assert_eq!(asked, ResetRequested { emailed: true });
    }
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].to, vec![AGENT.to_string()]);
    assert!(mails[0].headers.contains("Subject: Reset your Switchboard password"));
    let link = mails[0]
        .body
        .lines()
        .find(|l| l.starts_with("https://chat.acme.example/reset-password/"))
        .expect("the link is in the e-mail")
        .to_string();
    let token = token_of(&link);

    let view: PasswordResetView = app.run(reset_view(&token)).await.unwrap();
    assert_eq!(view.email, AGENT);

    let short = app.send(&app.client, &reset_password(&token, "short", "short")).await;
    assert_eq!(short.status(), 400);
    let visitor = new_client();
    let res = app
        .send(&visitor, &reset_password(&token, NEW_PASSWORD, NEW_PASSWORD))
        .await;
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    assert_eq!(
        me_with(&app, &visitor).await.unwrap().email,
        AGENT,
        "signed in by the reset"
    );
    assert_eq!(me_with(&app, &phone).await.unwrap_err(), AppError::Unauthenticated);
    assert!(signed_in(&app, AGENT, NEW_PASSWORD).await);

    // Used: the link works no more.
    let again = app.send(&app.client, &reset_view(&token)).await;
    assert_eq!(again.status(), 404);
    let reuse = app
        .send(
            &app.client,
            &reset_password(&token, "yet another passphrase", "yet another passphrase"),
        )
        .await;
    assert_eq!(reuse.status(), 404);
    assert!(signed_in(&app, AGENT, NEW_PASSWORD).await);
}

#[tokio::test]
async fn reset_e_mails_for_one_address_are_limited() {
    let (app, smtp) = crate::fake_smtp::spawn_app_with_mail(&[]).await;
    for _ in 0..3 {
        assert_eq!(app.send(&app.client, &request_reset(ADMIN)).await.status(), 200);
    }
    let res = app.send(&app.client, &request_reset(ADMIN)).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(smtp.mails().len(), 3, "the refused ask sent nothing");
}

#[tokio::test]
async fn without_e_mail_the_page_says_to_ask_for_a_link_and_an_expired_link_does_not_work() {
    let app = spawn_app().await;
    let asked: ResetRequested = app.run(request_reset(ADMIN)).await.unwrap();
    assert_eq!(asked, ResetRequested { emailed: false });

    let member = app.store.member_by_email(ADMIN).await.unwrap().unwrap();
    let token = "e".repeat(64);
    app.store
        .set_password_reset(
            member.id,
            &server::auth::token_hash(&token),
            server::store::now_ms() - 1,
        )
        .await
        .unwrap();
    assert_eq!(app.send(&app.client, &reset_view(&token)).await.status(), 404);
    let res = app
        .send(&app.client, &reset_password(&token, NEW_PASSWORD, NEW_PASSWORD))
        .await;
    assert_eq!(res.status(), 404);
    assert!(signed_in(&app, ADMIN, PASSWORD).await, "the password is unchanged");
}

#[tokio::test]
async fn a_locked_out_owner_gets_a_link_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let created = switchboard(
        dir.path(),
        &[
            "create-owner",
            "--workspace",
            "Lockout Ltd",
            "--email",
            "olga@lockout.example",
            "--name",
            "Olga Owner",
            "--password",
            "forgotten since",
        ],
    )
    .output()
    .unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let made = switchboard(dir.path(), &["reset-password", "--email", "OLGA@lockout.example"])
        .env("SWITCHBOARD_PUBLIC_URL", "https://switchboard.lockout.example")
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let out = String::from_utf8(made.stdout).unwrap();
    assert!(out.contains("Olga Owner <olga@lockout.example>"), "{out}");
    let link = out.lines().last().unwrap();
    assert!(
        link.starts_with("https://switchboard.lockout.example/reset-password/"),
        "{out}"
    );

    let unknown = switchboard(dir.path(), &["reset-password", "--email", "nobody@lockout.example"])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no active member signs in with nobody@lockout.example"));

    // The link works on the server that serves that database.
    let server = crate::process::serve(dir.path(), &dir.path().join("serve.log"));
    server.assert_ready().await;
    let client = new_client();
    let token = token_of(link);
    let res = send_at(
        &server.base,
        &client,
        &reset_password(&token, NEW_PASSWORD, NEW_PASSWORD),
    )
    .await;
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    let me: app::Me = run_at(&server.base, &client, CurrentMember {}).await.unwrap();
    assert_eq!(
        (me.email.as_str(), me.workspace_name.as_str()),
        ("olga@lockout.example", "Lockout Ltd")
    );
}

#[tokio::test]
async fn an_invitation_accepted_twice_at_once_sets_one_password() {
    let app = TestApp::signed_in_as(ADMIN).await;
    let invite = InviteMember {
        name: "Twin Tabs".into(),
        email: "twin@example.com".into(),
        role: "agent".into(),
    };
    let invitation: Invitation = app.run(invite).await.unwrap();
    let token = invitation.path.trim_start_matches("/invite/").to_string();
    let app = &app;
    let accept = |password: &'static str| {
        let call = AcceptInvitation {
            token: token.clone(),
            password: password.into(),
            confirm: password.into(),
        };
        async move { app.send(&new_client(), &call).await }
    };
    let (a, b) = tokio::join!(accept("first tab password"), accept("second tab password"));
    let ok = |r: &reqwest::Response| r.status().is_success() || r.status().is_redirection();
    assert!(
        ok(&a) != ok(&b),
        "exactly one acceptance: {} and {}",
        a.status(),
        b.status()
    );
    let winner = if ok(&a) {
        "first tab password"
    } else {
        "second tab password"
    };
    let loser = if ok(&a) {
        "second tab password"
    } else {
        "first tab password"
    };
    assert!(signed_in(&app, "twin@example.com", winner).await);
    assert!(!signed_in(&app, "twin@example.com", loser).await);
}
