//! One module per page.

pub mod account;
pub mod audit;
pub mod canned;
pub mod chat;
pub mod conversation;
pub mod errors;
pub mod inbox;
pub mod info_panel;
pub mod invite;
pub mod live;
pub mod password;
pub mod people;
pub mod qualifications;
pub mod settings;
pub mod sign_in;
pub mod workflows;
