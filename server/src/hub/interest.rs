//! What one operator console shows, so that an inbox change goes only to the consoles that
//! can show it: the inbox under its filters, the member's own conversations (the unread count
//! in the tab title) and the conversations it has open.

use std::collections::HashSet;

use app::inbox::{Facts, InboxQuery, Showing};

/// One console's interest in a workspace's inbox changes.
#[derive(Debug, Default)]
pub struct Interest {
    shows: Shows,
    /// The member's own conversations as this console last heard of them, so that it also
    /// hears when one stops being theirs.
    own: HashSet<i64>,
}

#[derive(Debug, Default)]
enum Shows {
    #[default]
    Everything,
    Own,
    Inbox {
        query: InboxQuery,
        listed: HashSet<i64>,
    },
}

impl Interest {
    /// The console now shows `showing`.
    pub fn show(&mut self, showing: Showing) {
        self.shows = match showing {
            Showing::Everything => Shows::Everything,
            Showing::Own => Shows::Own,
            Showing::Inbox { query, listed } => Shows::Inbox {
                query,
                listed: listed.into_iter().collect(),
            },
        };
    }

    /// These conversations are the member's own (read from the database when the socket
    /// opened; changes since then come as events).
    pub fn own(&mut self, ids: impl IntoIterator<Item = i64>) {
        self.own.extend(ids);
    }

    /// Whether the console gets a change to the conversation `c` of member `me`'s workspace, who
    /// has it open or not, at `now` (Unix ms); notes what the console holds afterwards.
    pub fn wants(&mut self, c: &Facts, me: i64, open: bool, now: i64) -> bool {
        let was_own = if c.is_own(me) {
            !self.own.insert(c.id)
        } else {
            self.own.remove(&c.id)
        };
        let listed = match &mut self.shows {
            Shows::Everything => true,
            Shows::Own => false,
            Shows::Inbox { query, listed } => {
                if !query.fits(c, me, now) {
                    // Once more, for the console to take it off its list.
                    listed.remove(&c.id)
                } else if query.q.is_empty() {
                    listed.insert(c.id);
                    true
                } else {
                    // A search's list: only what the database found is on it.
                    listed.contains(&c.id)
                }
            }
        };
        listed || was_own || c.is_own(me) || open
    }
}

#[cfg(test)]
mod tests {
    use app::lifecycle::{ChannelKind, Status};

    use super::*;

    const ME: i64 = 7;
    const NOW: i64 = 1_000_000;

    fn facts(id: i64, assignee: Option<i64>, status: Status) -> Facts {
        Facts {
            id,
            workflow_id: 1,
            assignee_id: assignee,
            status,
            channel_kind: ChannelKind::Web,
            snoozed_until: None,
        }
    }

    fn inbox(view: &str, status: &str, q: &str, listed: Vec<i64>) -> Showing {
        Showing::Inbox {
            query: InboxQuery {
                view: view.into(),
                status: status.into(),
                q: q.into(),
                ..Default::default()
            },
            listed,
        }
    }

    #[test]
    fn a_new_socket_gets_everything() {
        let mut i = Interest::default();
        assert!(i.wants(&facts(1, Some(99), Status::Active), ME, false, NOW));
        assert!(i.wants(&facts(2, None, Status::Waiting), ME, false, NOW));
    }

    #[test]
    fn another_page_gets_only_its_own_and_open_conversations_and_hears_when_one_stops_being_its_own() {
        let mut i = Interest::default();
        i.show(Showing::Own);
        assert!(!i.wants(&facts(1, Some(99), Status::Active), ME, false, NOW));
        assert!(!i.wants(&facts(2, None, Status::Waiting), ME, false, NOW));
        assert!(
            i.wants(&facts(2, None, Status::Waiting), ME, true, NOW),
            "open in the console"
        );
        assert!(i.wants(&facts(3, Some(ME), Status::Active), ME, false, NOW));
        assert!(
            i.wants(&facts(3, Some(99), Status::Active), ME, false, NOW),
            "transferred away: told once"
        );
        assert!(
            !i.wants(&facts(3, Some(99), Status::Active), ME, false, NOW),
            "then no longer"
        );
        i.own([4]);
        assert!(
            i.wants(&facts(4, Some(ME), Status::Resolved), ME, false, NOW),
            "resolved: told once"
        );
        assert!(!i.wants(&facts(4, Some(ME), Status::Resolved), ME, false, NOW));
    }

    #[test]
    fn the_inbox_gets_what_fits_its_filters_and_what_it_lists() {
        let mut i = Interest::default();
        i.show(inbox("unassigned", "waiting", "", vec![1]));
        assert!(i.wants(&facts(2, None, Status::Waiting), ME, false, NOW), "fits: added");
        assert!(
            !i.wants(&facts(5, Some(99), Status::Active), ME, false, NOW),
            "never listed, does not fit"
        );
        assert!(
            i.wants(&facts(1, Some(99), Status::Active), ME, false, NOW),
            "listed, taken: told to remove it"
        );
        assert!(
            !i.wants(&facts(1, Some(99), Status::Active), ME, false, NOW),
            "then no longer"
        );
        assert!(
            i.wants(&facts(2, Some(99), Status::Active), ME, false, NOW),
            "added by an event, then taken"
        );
        assert!(!i.wants(&facts(2, Some(99), Status::Resolved), ME, false, NOW));
    }

    #[test]
    fn a_search_gets_only_the_conversations_it_found() {
        let mut i = Interest::default();
        i.show(inbox("", "", "refund", vec![1]));
        assert!(i.wants(&facts(1, None, Status::Waiting), ME, false, NOW));
        assert!(
            !i.wants(&facts(2, None, Status::Waiting), ME, false, NOW),
            "the database decides what a search finds"
        );
    }

    #[test]
    fn snoozed_conversations_leave_the_inbox_and_reach_the_snoozed_view() {
        let mut awake = Interest::default();
        awake.show(inbox("", "", "", vec![1]));
        let mut snoozed = Interest::default();
        snoozed.show(inbox("snoozed", "", "", vec![]));
        let mut c = facts(1, None, Status::Open);
        c.snoozed_until = Some(NOW + 60_000);
        assert!(awake.wants(&c, ME, false, NOW), "told to remove it");
        assert!(!awake.wants(&c, ME, false, NOW));
        assert!(snoozed.wants(&c, ME, false, NOW));
    }
}
