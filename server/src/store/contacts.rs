//! Contacts: visitors made contacts on the channel they came by, their details, labels and
//! data records, and their other conversations.

use app::contacts::{ContactConversation, ContactDetail, ContactMatch};

use super::{now_ms, ChannelRecord, Returning, Store, StoreError};
use crate::conversations::visibility::Visibility;

dual! {}

/// A contact's own fields.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct ContactFields {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl Store {
    /// The contact with their labels, data records, and their conversations that `visibility`
    /// lets the reader see.
    pub async fn contact_detail(
        &self,
        contact_id: i64,
        visibility: &Visibility,
    ) -> Result<Option<ContactDetail>, StoreError> {
        on_db!(self.db, |read, write| {
            let row: Option<ContactFields> =
                sqlx::query_as("SELECT id, name, email, phone FROM contacts WHERE id = $1")
                    .bind(contact_id)
                    .fetch_optional(read)
                    .await?;
            let Some(ContactFields { id, name, email, phone }) = row else {
                return Ok(None);
            };
            let labels: Vec<(String,)> =
                sqlx::query_as("SELECT label FROM contact_labels WHERE contact_id = $1 ORDER BY label")
                    .bind(contact_id)
                    .fetch_all(read)
                    .await?;
            let data: Vec<(String, String)> =
                sqlx::query_as("SELECT key, value FROM contact_data WHERE contact_id = $1 ORDER BY key")
                    .bind(contact_id)
                    .fetch_all(read)
                    .await?;
            let identities: Vec<(String, String)> =
                sqlx::query_as("SELECT kind, value FROM contact_identities WHERE contact_id = $1 ORDER BY kind, value")
                    .bind(contact_id)
                    .fetch_all(read)
                    .await?;
            let conversations: Vec<ContactConversation> = sqlx::query_as(&format!(
                "SELECT c.id, ch.name AS channel_name, c.status,
                    (SELECT body FROM messages m WHERE m.conversation_id = c.id AND m.internal = FALSE
                     ORDER BY seq DESC LIMIT 1) AS last_message,
                    c.last_activity_at
             FROM conversations c JOIN channels ch ON ch.id = c.channel_id
             WHERE c.contact_id = $1 AND {visible}
             ORDER BY c.id DESC LIMIT 50",
                visible = Visibility::sql("$2", side::PG)
            ))
            .bind(contact_id)
            .bind(visibility.bind())
            .fetch_all(read)
            .await?;
            Ok(Some(ContactDetail {
                id,
                name,
                email,
                phone,
                labels: labels.into_iter().map(|l| l.0).collect(),
                data,
                identities,
                conversations,
            }))
        })
    }

    /// The contact's name, e-mail and phone (for macros).
    pub async fn contact_fields(&self, contact_id: i64) -> Result<Option<ContactFields>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(
                sqlx::query_as("SELECT id, name, email, phone FROM contacts WHERE id = $1")
                    .bind(contact_id)
                    .fetch_optional(read)
                    .await?,
            )
        })
    }

    pub async fn update_contact(
        &self,
        contact_id: i64,
        name: &str,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query("UPDATE contacts SET name = $2, email = $3, phone = $4 WHERE id = $1")
                .bind(contact_id)
                .bind(name)
                .bind(email)
                .bind(phone)
                .execute(write)
                .await?;
            Ok(())
        })
    }

    pub async fn set_contact_label(&self, contact_id: i64, label: &str, present: bool) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            let sql = if present {
                "INSERT INTO contact_labels (contact_id, label) VALUES ($1, $2) ON CONFLICT DO NOTHING"
            } else {
                "DELETE FROM contact_labels WHERE contact_id = $1 AND label = $2"
            };
            sqlx::query(sql).bind(contact_id).bind(label).execute(write).await?;
            Ok(())
        })
    }

    /// The keys of a contact's data records.
    pub async fn contact_data_keys(&self, contact_id: i64) -> Result<Vec<String>, StoreError> {
        on_db!(self.db, |read, write| {
            let rows: Vec<(String,)> = sqlx::query_as("SELECT key FROM contact_data WHERE contact_id = $1")
                .bind(contact_id)
                .fetch_all(read)
                .await?;
            Ok(rows.into_iter().map(|r| r.0).collect())
        })
    }

    /// Sets a data record; `None` removes it.
    pub async fn set_contact_data(&self, contact_id: i64, key: &str, value: Option<&str>) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            match value {
                Some(v) => {
                    sqlx::query(
                        "INSERT INTO contact_data (contact_id, key, value) VALUES ($1, $2, $3)
                     ON CONFLICT (contact_id, key) DO UPDATE SET value = excluded.value",
                    )
                    .bind(contact_id)
                    .bind(key)
                    .bind(v)
                    .execute(write)
                    .await?;
                }
                None => {
                    sqlx::query("DELETE FROM contact_data WHERE contact_id = $1 AND key = $2")
                        .bind(contact_id)
                        .bind(key)
                        .execute(write)
                        .await?;
                }
            }
            Ok(())
        })
    }

    /// A new visitor on the channel, as a contact of its workspace.
    /// A contact made by hand (through the API), not by a channel.
    pub async fn create_contact(
        &self,
        workspace_id: i64,
        name: &str,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Result<i64, StoreError> {
        on_db!(self.db, |read, write| {
            let row: (i64,) = sqlx::query_as(
            "INSERT INTO contacts (workspace_id, name, email, phone, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(workspace_id)
        .bind(name)
        .bind(email)
        .bind(phone)
        .bind(now_ms())
        .fetch_written(write)
        .await?;
            Ok(row.0)
        })
    }

    /// The workspace a contact belongs to.
    pub async fn contact_workspace(&self, contact_id: i64) -> Result<Option<i64>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_scalar("SELECT workspace_id FROM contacts WHERE id = $1")
                .bind(contact_id)
                .fetch_optional(read)
                .await?)
        })
    }

    pub async fn create_visitor(&self, channel: &ChannelRecord, name: &str) -> Result<i64, StoreError> {
        on_db!(self.db, |read, write| {
            let row: (i64,) = sqlx::query_as(
            "INSERT INTO contacts (workspace_id, name, channel_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(channel.workspace_id)
        .bind(name)
        .bind(channel.id)
        .bind(now_ms())
        .fetch_written(write)
        .await?;
            Ok(row.0)
        })
    }

    /// Up to ten contacts of the workspace but `except` whose name, e-mail or phone contains
    /// `query`, with a conversation `visibility` lets the reader see; most recently active
    /// first.
    pub async fn find_contacts(
        &self,
        workspace_id: i64,
        except: i64,
        query: &str,
        visibility: &Visibility,
    ) -> Result<Vec<ContactMatch>, StoreError> {
        on_db!(self.db, |read, write| {
            let pattern = format!(
                "%{}%",
                query.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
            );
            Ok(sqlx::query_as(&format!(
                "SELECT k.id, k.name, k.email, k.phone, COUNT(c.id) AS conversations
             FROM contacts k JOIN conversations c ON c.contact_id = k.id
             WHERE k.workspace_id = $1 AND k.id != $2 AND {visible}
               AND (LOWER(k.name) LIKE LOWER($4) ESCAPE '\\' OR LOWER(k.email) LIKE LOWER($4) ESCAPE '\\'
                    OR k.phone LIKE $4 ESCAPE '\\')
             GROUP BY k.id ORDER BY MAX(c.last_activity_at) DESC LIMIT 10",
                visible = Visibility::sql("$3", side::PG)
            ))
            .bind(workspace_id)
            .bind(except)
            .bind(visibility.bind())
            .bind(pattern)
            .fetch_all(read)
            .await?)
        })
    }

    /// Merges contact `gone` into `keep` (both of the workspace) in one transaction: its
    /// conversations, identities, labels and data records (`keep`'s win where both have one)
    /// move over, `keep` takes the e-mail and phone it lacks, and `gone` is deleted. Gives the
    /// conversations that moved; false-y (`None`) when either is not the workspace's.
    pub async fn merge_contacts(
        &self,
        workspace_id: i64,
        keep: i64,
        gone: i64,
    ) -> Result<Option<Vec<i64>>, StoreError> {
        on_db!(self.db, |read, write| {
            let mut tx = side::begin_write(write).await?;
            let both: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM contacts WHERE workspace_id = $1 AND id IN ($2, $3)")
                    .bind(workspace_id)
                    .bind(keep)
                    .bind(gone)
                    .fetch_one(&mut *tx)
                    .await?;
            if both != 2 || keep == gone {
                return Ok(None);
            }
            let moved: Vec<i64> =
                sqlx::query_scalar("UPDATE conversations SET contact_id = $1 WHERE contact_id = $2 RETURNING id")
                    .bind(keep)
                    .bind(gone)
                    .fetch_all(&mut *tx)
                    .await?;
            for sql in [
            "UPDATE contact_identities SET contact_id = $1 WHERE contact_id = $2",
            "INSERT INTO contact_labels (contact_id, label) SELECT $1, label FROM contact_labels WHERE contact_id = $2
             ON CONFLICT DO NOTHING",
            "INSERT INTO contact_data (contact_id, key, value) SELECT $1, key, value FROM contact_data WHERE contact_id = $2
             ON CONFLICT DO NOTHING",
            "UPDATE contacts SET email = COALESCE(email, (SELECT email FROM contacts WHERE id = $2)),
                                 phone = COALESCE(phone, (SELECT phone FROM contacts WHERE id = $2))
             WHERE id = $1",
            "DELETE FROM contacts WHERE id = $2 AND $1 IS NOT NULL",
        ] {
            sqlx::query(sql).bind(keep).bind(gone).execute(&mut *tx).await?;
        }
            tx.commit().await?;
            Ok(Some(moved))
        })
    }

    /// Deletes up to `limit` visitors who opened a chat before `created_before` and never
    /// wrote (no conversation); gives how many.
    pub async fn forget_silent_visitors(&self, created_before: i64, limit: i64) -> Result<u64, StoreError> {
        on_db!(self.db, |read, write| {
            let done = sqlx::query(
                "DELETE FROM contacts WHERE id IN (
                 SELECT c.id FROM contacts c
                 WHERE c.created_at < $1 AND c.channel_id IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM conversations v WHERE v.contact_id = c.id)
                 LIMIT $2)",
            )
            .bind(created_before)
            .bind(limit)
            .execute(write)
            .await?;
            Ok(done.rows_affected())
        })
    }

    /// The contact a workspace knows by this identity (`kind`: web, phone, email, …).
    pub async fn identity_contact(
        &self,
        workspace_id: i64,
        kind: &str,
        value: &str,
    ) -> Result<Option<i64>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_scalar(
                "SELECT contact_id FROM contact_identities WHERE workspace_id = $1 AND kind = $2 AND value = $3",
            )
            .bind(workspace_id)
            .bind(kind)
            .bind(value)
            .fetch_optional(read)
            .await?)
        })
    }

    /// Whether the contact has an identity of this kind.
    pub async fn has_identity(&self, contact_id: i64, kind: &str) -> Result<bool, StoreError> {
        on_db!(self.db, |read, write| {
            let row: Option<i64> =
                sqlx::query_scalar("SELECT id FROM contact_identities WHERE contact_id = $1 AND kind = $2 LIMIT 1")
                    .bind(contact_id)
                    .bind(kind)
                    .fetch_optional(read)
                    .await?;
            Ok(row.is_some())
        })
    }

    /// Gives `contact_id` the identity unless the workspace already knows it; answers the
    /// contact that has it (the one given, or whoever got it first).
    pub async fn claim_identity(
        &self,
        workspace_id: i64,
        contact_id: i64,
        kind: &str,
        value: &str,
    ) -> Result<i64, StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query(
                "INSERT INTO contact_identities (workspace_id, contact_id, kind, value, created_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace_id, kind, value) DO NOTHING",
            )
            .bind(workspace_id)
            .bind(contact_id)
            .bind(kind)
            .bind(value)
            .bind(now_ms())
            .execute(write)
            .await?;
            self.identity_contact(workspace_id, kind, value)
                .await?
                .ok_or(StoreError::NotFound)
        })
    }

    /// Fills in what a site says of its customer: each given detail replaces the stored one.
    pub async fn set_contact_details(
        &self,
        contact_id: i64,
        name: Option<&str>,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query(
            "UPDATE contacts SET name = COALESCE($2, name), email = COALESCE($3, email), phone = COALESCE($4, phone)
             WHERE id = $1",
        )
        .bind(contact_id)
        .bind(name)
        .bind(email)
        .bind(phone)
        .execute(write)
        .await?;
            Ok(())
        })
    }

    /// Whether the contact exists in the workspace of that channel (a known customer is one
    /// contact on every channel of the workspace).
    pub async fn contact_on_channel(&self, contact_id: i64, channel_id: i64) -> Result<bool, StoreError> {
        on_db!(self.db, |read, write| {
            let row: Option<(i64,)> = sqlx::query_as(
                "SELECT c.id FROM contacts c JOIN channels ch ON ch.workspace_id = c.workspace_id
             WHERE c.id = $1 AND ch.id = $2",
            )
            .bind(contact_id)
            .bind(channel_id)
            .fetch_optional(read)
            .await?;
            Ok(row.is_some())
        })
    }

    pub async fn contact_name(&self, contact_id: i64) -> Result<Option<String>, StoreError> {
        on_db!(self.db, |read, write| {
            let row: Option<(String,)> = sqlx::query_as("SELECT name FROM contacts WHERE id = $1")
                .bind(contact_id)
                .fetch_optional(read)
                .await?;
            Ok(row.map(|r| r.0))
        })
    }
}

/// What erasing a contact removed, or why it did not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Erased {
    /// Everything is gone: how many conversations and messages, and the stored files to delete.
    Done {
        conversations: i64,
        messages: i64,
        files: Vec<String>,
    },
    /// This many of their conversations are not resolved yet.
    StillOpen(i64),
    NotFound,
}

impl Store {
    /// Every conversation of a contact, oldest first: id, channel name, status.
    pub async fn contact_conversations(
        &self,
        contact_id: i64,
    ) -> Result<Vec<(i64, String, app::lifecycle::Status)>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
                "SELECT c.id, ch.name, c.status FROM conversations c JOIN channels ch ON ch.id = c.channel_id
             WHERE c.contact_id = $1 ORDER BY c.id",
            )
            .bind(contact_id)
            .fetch_all(read)
            .await?)
        })
    }

    /// Erases a contact of the workspace with every conversation of theirs (messages, files'
    /// records, read markers, operator sessions, kept e-mails) in one transaction, once all of
    /// them are resolved. Their STOP for texts is kept (Twilio keeps it too).
    pub async fn erase_contact(&self, workspace_id: i64, contact_id: i64) -> Result<Erased, StoreError> {
        on_db!(self.db, |read, write| {
            let mut tx = side::begin_write(write).await?;
            let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM contacts WHERE id = $1 AND workspace_id = $2")
                .bind(contact_id)
                .bind(workspace_id)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Ok(Erased::NotFound);
            }
            let (open, conversations, messages): (i64, i64, i64) = sqlx::query_as(
                "SELECT COUNT(*) FILTER (WHERE status <> 'resolved'), COUNT(*),
                    CAST(COALESCE(SUM(last_seq), 0) AS BIGINT)
             FROM conversations WHERE contact_id = $1",
            )
            .bind(contact_id)
            .fetch_one(&mut *tx)
            .await?;
            if open > 0 {
                return Ok(Erased::StillOpen(open));
            }
            let files: Vec<(String,)> = sqlx::query_as(
                "SELECT a.storage_key FROM attachments a JOIN conversations c ON c.id = a.conversation_id
             WHERE c.contact_id = $1 AND a.removed_at IS NULL",
            )
            .bind(contact_id)
            .fetch_all(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM conversations WHERE contact_id = $1")
                .bind(contact_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM contacts WHERE id = $1")
                .bind(contact_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(Erased::Done {
                conversations,
                messages,
                files: files.into_iter().map(|f| f.0).collect(),
            })
        })
    }
}
