//! The server functions of this feature.

#[cfg(feature = "ssr")]
use std::sync::Arc;

use leptos::prelude::*;

use super::*;
use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{Me, Scope};

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait LiveApi: Send + Sync + 'static {
    async fn live_board(&self, me: &Me) -> Result<LiveBoard, AppError>;
}

#[server(endpoint = "live/board")]
pub async fn get_live_board() -> Result<LiveBoard, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::ConversationsReadAll),
        "see the live view",
        |live: Arc<dyn LiveApi>, me| async move { live.live_board(&me).await },
    )
    .await
}
