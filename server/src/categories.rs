//! Conversation categories: the workspace's short list that operators file conversations under.

use app::conversation::CategoryView;
use app::{AppError, Me};

use crate::store::workspaces::AuditEntry;
use crate::store::Store;

/// A workspace has at most this many categories.
const MAX_CATEGORIES: usize = 100;

pub struct Categories {
    store: Store,
}

impl Categories {
    pub fn new(store: Store) -> Self {
        Categories { store }
    }

    async fn audit(&self, me: &Me, action: &str, name: &str) {
        let target = format!("category {name}");
        self.store.audit(AuditEntry::by(me, action, &target)).await;
    }
}

#[async_trait::async_trait]
impl app::conversation::CategoriesApi for Categories {
    async fn list(&self, me: &Me) -> Result<Vec<CategoryView>, AppError> {
        Ok(self.store.categories(me.workspace_id).await?)
    }

    async fn add(&self, me: &Me, name: &str) -> Result<Vec<CategoryView>, AppError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 40 {
            return Err(AppError::invalid("Category", "must be 1 to 40 characters"));
        }
        if self.store.categories(me.workspace_id).await?.len() >= MAX_CATEGORIES {
            return Err(AppError::invalid("Category", "a workspace has at most 100 categories"));
        }
        self.store.create_category(me.workspace_id, name).await?;
        self.audit(me, "category.created", name).await;
        self.list(me).await
    }

    async fn delete(&self, me: &Me, id: i64) -> Result<Vec<CategoryView>, AppError> {
        let name = self
            .list(me)
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .map(|c| c.name)
            .ok_or_else(|| AppError::not_found("That category"))?;
        self.store.delete_category(me.workspace_id, id).await?;
        self.audit(me, "category.deleted", &name).await;
        self.list(me).await
    }
}
