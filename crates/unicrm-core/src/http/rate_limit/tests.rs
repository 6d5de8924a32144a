use super::*;
use crate::time::{ManualClock, RecordingSleeper};
use chrono::TimeZone;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

fn limiter(per_second: u32, burst: u32) -> (GovernorRateLimiter, RecordingSleeper) {
    let clock = ManualClock::new(t0());
    let sleeper = RecordingSleeper::with_clock(clock.clone());
    let l = GovernorRateLimiter::per_second_with(
        nz(per_second),
        nz(burst),
        Arc::new(clock),
        Arc::new(sleeper.clone()),
    );
    (l, sleeper)
}

#[tokio::test]
async fn governor_spaces_requests_evenly() {
    let (l, sleeper) = limiter(10, 1);
    for _ in 0..4 {
        l.acquire().await;
    }
    assert_eq!(sleeper.delays(), vec![Duration::from_millis(100); 3]);
    assert_eq!(
        format!("{l:?}"),
        r#"GovernorRateLimiter { quota: "10/s, burst 1" }"#
    );
}

#[tokio::test]
async fn a_fractional_pace_spaces_requests_by_its_interval() {
    let clock = ManualClock::new(t0());
    let sleeper = RecordingSleeper::with_clock(clock.clone());
    let l = GovernorRateLimiter::every_with(
        Duration::from_millis(105),
        nz(1),
        Arc::new(clock),
        Arc::new(sleeper.clone()),
    );
    for _ in 0..5 {
        l.acquire().await;
    }
    assert_eq!(sleeper.delays(), vec![Duration::from_millis(105); 4]);
    assert_eq!(
        format!("{l:?}"),
        r#"GovernorRateLimiter { quota: "one per 105ms, burst 1" }"#
    );
    // A zero interval does not panic (taken as 1 ns).
    let fast = GovernorRateLimiter::every(Duration::ZERO, nz(1));
    fast.acquire().await;
}

#[tokio::test]
async fn governor_allows_the_burst_then_paces() {
    let (l, sleeper) = limiter(5, 3);
    for _ in 0..3 {
        l.acquire().await;
    }
    assert!(sleeper.delays().is_empty());
    l.acquire().await;
    assert_eq!(sleeper.delays(), vec![Duration::from_millis(200)]);
}

/// A clock that reads a scripted sequence of instants (then stays on the last one).
#[derive(Debug)]
struct Scripted(Mutex<Vec<DateTime<Utc>>>);

impl Clock for Scripted {
    fn now(&self) -> DateTime<Utc> {
        let mut v = self.0.lock().unwrap();
        if v.len() > 1 { v.remove(0) } else { v[0] }
    }
}

#[test]
fn injected_clock_never_goes_backwards() {
    use governor::clock::Clock as _;
    let s = chrono::Duration::seconds;
    let c = InjectedClock::new(Arc::new(Scripted(Mutex::new(vec![
        t0(),
        t0() + s(5),
        t0() + s(2),
        t0() - s(10),
        t0() + s(7),
    ]))));
    assert_eq!(c.now(), Duration::from_secs(5));
    assert_eq!(c.now(), Duration::from_secs(5));
    assert_eq!(c.now(), Duration::from_secs(5));
    assert_eq!(c.now(), Duration::from_secs(7));
}

fn spent(reset_in: i64) -> RateLimitHeaders {
    RateLimitHeaders {
        limit: Some(4000),
        remaining: Some(0),
        reset: Some(t0() + chrono::Duration::seconds(reset_in)),
    }
}

#[test]
fn quota_tracker() {
    let now = t0();
    let t = QuotaTracker::default();
    let max = Duration::from_secs(60);
    assert_eq!(t.check(now, max), QuotaCheck::Proceed);
    t.observe(&spent(20));
    assert_eq!(t.check(now, max), QuotaCheck::Wait(Duration::from_secs(21)));
    // Everyone asking before the reset waits for the same instant.
    assert_eq!(t.check(now, max), QuotaCheck::Wait(Duration::from_secs(21)));
    assert_eq!(
        t.check(now + chrono::Duration::seconds(20), max),
        QuotaCheck::Wait(Duration::from_secs(1))
    );
    // Once the reset has passed the reading is stale.
    assert_eq!(
        t.check(now + chrono::Duration::seconds(21), max),
        QuotaCheck::Proceed
    );
    t.observe(&spent(3600));
    assert_eq!(
        t.check(now, max),
        QuotaCheck::Exhausted {
            resets_at: Some(now + chrono::Duration::hours(1)),
            limit: Some(4000),
        }
    );
    // A rolling window without a reset time: the vendor decides.
    t.observe(&RateLimitHeaders {
        limit: Some(1000),
        remaining: Some(0),
        reset: None,
    });
    assert_eq!(t.check(now, max), QuotaCheck::Proceed);
    // Budget left: go.
    t.observe(&RateLimitHeaders {
        limit: Some(1000),
        remaining: Some(1),
        reset: Some(now + chrono::Duration::seconds(20)),
    });
    assert_eq!(t.check(now, max), QuotaCheck::Proceed);
    assert_eq!(t.last().remaining, Some(1));
}

#[test]
fn quota_wait_boundary_is_the_max_wait() {
    let t = QuotaTracker::default();
    t.observe(&spent(59));
    assert_eq!(
        t.check(t0(), Duration::from_secs(60)),
        QuotaCheck::Wait(Duration::from_secs(60))
    );
    assert!(matches!(
        t.check(t0(), Duration::from_secs(59)),
        QuotaCheck::Exhausted { .. }
    ));
}

#[test]
fn an_older_answer_never_overwrites_a_newer_reading() {
    let t = QuotaTracker::default();
    let old = t.ticket();
    let new = t.ticket();
    assert!(new > old);
    t.observe_ticket(new, &spent(10));
    // The answer to the request sent first arrives last, from before the budget was spent.
    t.observe_ticket(
        old,
        &RateLimitHeaders {
            limit: Some(4000),
            remaining: Some(7),
            reset: None,
        },
    );
    assert_eq!(t.last(), spent(10));
    assert_eq!(
        t.check(t0(), Duration::from_secs(60)),
        QuotaCheck::Wait(Duration::from_secs(11))
    );
    // A reading from a request sent later replaces it; an answer without headers does not.
    let later = t.ticket();
    t.observe_ticket(later, &RateLimitHeaders::default());
    assert_eq!(t.last(), spent(10));
    t.observe_ticket(
        later,
        &RateLimitHeaders {
            limit: Some(4000),
            remaining: Some(3999),
            reset: None,
        },
    );
    assert_eq!(t.last().remaining, Some(3999));
    assert_eq!(t.check(t0(), Duration::from_secs(60)), QuotaCheck::Proceed);
}

#[test]
fn a_pause_holds_every_caller_until_it_ends() {
    let t = QuotaTracker::default();
    let max = Duration::from_secs(60);
    t.pause_until(t0() + chrono::Duration::seconds(2));
    // An earlier pause does not shorten a later one.
    t.pause_until(t0() + chrono::Duration::seconds(1));
    assert_eq!(t.check(t0(), max), QuotaCheck::Wait(Duration::from_secs(2)));
    assert_eq!(t.check(t0(), max), QuotaCheck::Wait(Duration::from_secs(2)));
    assert_eq!(
        t.check(t0() + chrono::Duration::seconds(2), max),
        QuotaCheck::Proceed
    );
    t.pause_until(t0() + chrono::Duration::seconds(9));
    assert_eq!(t.check(t0(), max), QuotaCheck::Wait(Duration::from_secs(9)));
    // With a spent budget too, the later of the two wins.
    t.observe(&spent(3));
    assert_eq!(t.check(t0(), max), QuotaCheck::Wait(Duration::from_secs(9)));
    t.observe(&spent(20));
    assert_eq!(
        t.check(t0(), max),
        QuotaCheck::Wait(Duration::from_secs(21))
    );
}

#[test]
fn the_first_reading_for_a_ticket_stays() {
    let t = QuotaTracker::default();
    let a = t.ticket();
    t.observe_ticket(a, &spent(10));
    t.observe_ticket(
        a,
        &RateLimitHeaders {
            limit: Some(1),
            remaining: Some(1),
            reset: None,
        },
    );
    assert_eq!(t.last(), spent(10));
    assert_eq!(t.ticket(), a + 1);
}
