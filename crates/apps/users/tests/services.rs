//! Accounts, tokens and sessions against real databases: SQLite always, PostgreSQL when
//! reachable.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel, PaginatorTrait};
use sha2::{Digest, Sha256};
use strata_users::models::{session, token, user};
use strata_users::services::accounts::{by_username, touch_last_login};
use strata_users::services::sessions::purge_expired;
use strata_users::{
    AccountError, NewUser, Role, authenticate, create_superuser, create_token, create_user,
    end_session, session_user, start_session, user_for_token,
};

fn editor<'a>(username: &'a str, password: &'a str) -> NewUser<'a> {
    NewUser {
        username,
        email: "someone@example.com",
        password,
        role: Role::Editor,
    }
}

async fn deactivate(db: &sea_orm::DatabaseConnection, user: user::Model) {
    let mut row = user.into_active_model();
    row.is_active = Set(false);
    row.update(db).await.unwrap();
}

#[tokio::test]
async fn users_are_created_and_authenticated() {
    for t in common::backends("users_are_created_and_authenticated").await {
        let db = &t.db;
        let admin = create_superuser(db, "root", "root@example.com", "correct horse")
            .await
            .unwrap();
        assert_eq!(
            (admin.role.as_str(), admin.is_active, admin.last_login),
            ("admin", true, None)
        );
        assert!(
            admin.password.starts_with("$argon2id$v=19$"),
            "{}",
            admin.password
        );
        assert!(!admin.password.contains("correct horse"));

        let found = authenticate(db, "root", "correct horse").await.unwrap();
        assert_eq!(
            found.as_ref().map(|u| u.id),
            Some(admin.id),
            "{}",
            t.backend
        );
        assert_eq!(
            authenticate(db, "root", "correct horsE").await.unwrap(),
            None
        );
        assert_eq!(
            authenticate(db, "nobody", "correct horse").await.unwrap(),
            None
        );
        // Usernames are exact, as Django's.
        assert_eq!(
            authenticate(db, "ROOT", "correct horse").await.unwrap(),
            None
        );

        let logged_in = touch_last_login(db, found.unwrap()).await.unwrap();
        let stored = by_username(db, "root").await.unwrap().unwrap();
        assert!(stored.last_login.is_some());
        assert_eq!(stored.last_login, logged_in.last_login);

        let support = create_user(
            db,
            NewUser {
                role: Role::Support,
                ..editor("sam", "sam password 8")
            },
        )
        .await
        .unwrap();
        assert_eq!(support.role, "support");
        assert_ne!(support.password, admin.password);
        deactivate(db, support).await;
        assert_eq!(
            authenticate(db, "sam", "sam password 8").await.unwrap(),
            None
        );
        t.close().await;
    }
}

#[tokio::test]
async fn bad_accounts_are_refused() {
    for t in common::backends("bad_accounts_are_refused").await {
        let db = &t.db;
        create_user(db, editor("mina", "long enough"))
            .await
            .unwrap();
        let err = create_user(db, editor("mina", "another one")).await;
        assert!(
            matches!(&err, Err(AccountError::UsernameTaken(name)) if name == "mina"),
            "{}: {err:?}",
            t.backend
        );
        for name in ["", "a b", "semi;colon", &"x".repeat(151)] {
            let err = create_user(db, editor(name, "long enough")).await;
            assert!(matches!(err, Err(AccountError::BadUsername)), "{name:?}");
        }
        let err = create_user(db, editor("short", "1234567")).await;
        assert!(matches!(err, Err(AccountError::WeakPassword(_))));
        let err = create_user(db, editor("numbers", "12345678")).await;
        assert!(
            matches!(&err, Err(AccountError::WeakPassword(problems)) if problems == &["This password is too common.", "This password is entirely numeric."]),
            "{err:?}"
        );
        let err = create_user(
            db,
            NewUser {
                email: "not an address",
                ..editor("mail", "long enough")
            },
        )
        .await;
        assert!(matches!(err, Err(AccountError::BadEmail)));
        // The longest name fits the column on both backends; an empty email is allowed.
        let longest = "n".repeat(150);
        create_user(
            db,
            NewUser {
                email: "",
                ..editor(&longest, "long enough")
            },
        )
        .await
        .unwrap();
        assert_eq!(user::Entity::find().count(db).await.unwrap(), 2);
        t.close().await;
    }
}

#[tokio::test]
async fn tokens_are_drf_keys_stored_hashed() {
    for t in common::backends("tokens_are_drf_keys_stored_hashed").await {
        let db = &t.db;
        let owner = create_user(db, editor("bot", "long enough")).await.unwrap();
        let key = create_token(db, "bot").await.unwrap();
        assert_eq!(key.len(), 40, "{key}");
        assert!(
            key.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
            "{key}"
        );
        let second = create_token(db, "bot").await.unwrap();
        assert_ne!(key, second);

        let rows = token::Entity::find().all(db).await.unwrap();
        let hash = format!("{:x}", Sha256::digest(key.as_bytes()));
        assert!(
            rows.iter()
                .any(|r| r.key_hash == hash && r.user_id == owner.id)
        );
        assert!(
            rows.iter()
                .all(|r| r.key_hash != key && r.key_hash != second)
        );

        let found = user_for_token(db, &key).await.unwrap();
        assert_eq!(found.map(|u| u.id), Some(owner.id));
        assert_eq!(user_for_token(db, &"0".repeat(40)).await.unwrap(), None);
        assert_eq!(user_for_token(db, "").await.unwrap(), None);
        assert!(matches!(
            create_token(db, "ghost").await,
            Err(AccountError::NoSuchUser(name)) if name == "ghost"
        ));

        // An expiring token works until its time, then is no token (both backends compare
        // the timestamps in SQL).
        let later = strata_users::create_expiring_token(
            db,
            "bot",
            Some(Utc::now() + chrono::Duration::hours(1)),
        )
        .await
        .unwrap();
        assert!(user_for_token(db, &later).await.unwrap().is_some());
        let past = strata_users::create_expiring_token(
            db,
            "bot",
            Some(Utc::now() - chrono::Duration::seconds(1)),
        )
        .await
        .unwrap();
        assert_eq!(
            user_for_token(db, &past).await.unwrap(),
            None,
            "{}",
            t.backend
        );
        assert_eq!(
            strata_users::list_tokens(db, Some(owner.id))
                .await
                .unwrap()
                .len(),
            4
        );
        assert_eq!(
            strata_users::revoke_tokens_of(db, owner.id).await.unwrap(),
            4
        );
        assert_eq!(user_for_token(db, &key).await.unwrap(), None);
        let second = create_token(db, "bot").await.unwrap();

        // The owner is returned even when inactive: the extractor refuses it with DRF's words.
        deactivate(db, owner).await;
        let found = user_for_token(db, &second).await.unwrap().unwrap();
        assert!(!found.is_active);
        t.close().await;
    }
}

#[tokio::test]
async fn sessions_expire_and_end() {
    for t in common::backends("sessions_expire_and_end").await {
        let db = &t.db;
        let mina = create_user(db, editor("mina", "long enough"))
            .await
            .unwrap();
        let live = start_session(db, mina.id, Duration::from_secs(3600))
            .await
            .unwrap();
        assert_eq!((live.key.len(), live.csrf_token.len()), (64, 64));
        assert_ne!(live.key, live.csrf_token);
        let (user, csrf) = session_user(db, &live.key).await.unwrap().unwrap();
        assert_eq!(
            (user.id, csrf.as_str()),
            (mina.id, live.csrf_token.as_str())
        );
        assert_eq!(session_user(db, "not a key").await.unwrap(), None);
        // The key itself is not stored.
        let rows = session::Entity::find().all(db).await.unwrap();
        assert!(rows.iter().all(|r| r.key_hash != live.key));

        // Expired: refused and deleted on sight.
        let stale = start_session(db, mina.id, Duration::from_secs(3600))
            .await
            .unwrap();
        let row = session::Entity::find()
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.key_hash == format!("{:x}", Sha256::digest(stale.key.as_bytes())))
            .unwrap();
        let mut row = row.into_active_model();
        row.expires_at = Set(Utc::now() - chrono::Duration::seconds(1));
        row.update(db).await.unwrap();
        assert_eq!(session::Entity::find().count(db).await.unwrap(), 2);
        assert_eq!(session_user(db, &stale.key).await.unwrap(), None);
        assert_eq!(session::Entity::find().count(db).await.unwrap(), 1);

        // A zero TTL is expired at once; starting another session purges it.
        let gone = start_session(db, mina.id, Duration::ZERO).await.unwrap();
        assert_eq!(session_user(db, &gone.key).await.unwrap(), None);
        start_session(db, mina.id, Duration::ZERO).await.unwrap();
        assert_eq!(purge_expired(db).await.unwrap(), 1);
        // An absurd TTL is "never", not an overflow.
        let forever = start_session(db, mina.id, Duration::MAX).await.unwrap();
        assert!(session_user(db, &forever.key).await.unwrap().is_some());

        end_session(db, &live.key).await.unwrap();
        assert_eq!(session_user(db, &live.key).await.unwrap(), None);
        end_session(db, &live.key).await.unwrap();

        // An inactive user's session grants nothing.
        deactivate(db, mina).await;
        assert_eq!(session_user(db, &forever.key).await.unwrap(), None);
        t.close().await;
    }
}

#[tokio::test]
async fn deleting_a_user_deletes_its_tokens_and_sessions() {
    for t in common::backends("deleting_a_user_deletes_its_tokens_and_sessions").await {
        let db = &t.db;
        let gone = create_user(db, editor("gone", "long enough"))
            .await
            .unwrap();
        let kept = create_user(db, editor("kept", "long enough"))
            .await
            .unwrap();
        for name in ["gone", "kept"] {
            create_token(db, name).await.unwrap();
        }
        for id in [gone.id, kept.id] {
            start_session(db, id, Duration::from_secs(60))
                .await
                .unwrap();
        }
        user::Entity::delete_by_id(gone.id).exec(db).await.unwrap();
        let tokens = token::Entity::find().all(db).await.unwrap();
        let sessions = session::Entity::find().all(db).await.unwrap();
        assert!(
            tokens.iter().all(|r| r.user_id == kept.id) && tokens.len() == 1,
            "{}",
            t.backend
        );
        assert!(sessions.iter().all(|r| r.user_id == kept.id) && sessions.len() == 1);
        // A token or session for a missing user is refused by the foreign key.
        let orphan = token::ActiveModel {
            key_hash: Set("f".repeat(64)),
            user_id: Set(gone.id),
            created: Set(Utc::now()),
            ..Default::default()
        };
        assert!(orphan.insert(db).await.is_err());
        t.close().await;
    }
}
