#![recursion_limit = "512"]
//! Integration tests: each starts the real server on port 0 with a fresh database.

mod accounts;
mod assistant;
mod attachments;
mod auth;
mod authz;
mod authz_hidden;
mod authz_routes;
mod authz_sockets;
mod backup;
mod channels;
mod cluster;
mod config;
mod customers;
mod email;
mod fake_imap;
mod fake_smtp;
mod fake_twilio;
mod groups;
mod handoff;
mod handoff_rules;
mod helpers;
mod history;
mod inbox;
mod limits;
mod metrics;
#[path = "../support/nats.rs"]
mod nats;
mod nodes;
mod plans;
#[path = "../support/postgres.rs"]
mod postgres;
mod process;
mod qualifications;
mod reports;
mod rest_api;
mod rest_api_rules;
mod restart;
mod routing;
mod secrets;
mod sms;
mod snooze;
mod sockets;
mod storage;
mod team;
mod trust;
mod visitors;
mod webhooks;
mod workflows;
mod workspace;
