//! The channels customers write on. Each adapter turns its channel's traffic into
//! conversation messages and sends replies back the way they came.

pub mod email;
pub mod imap;
pub mod manage;
pub mod outbox;
pub mod sms;
pub mod tokens;
pub mod web;
