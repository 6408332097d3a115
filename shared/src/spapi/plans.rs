//! Amazon's usage plans and the client-side token buckets that keep calls inside them.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// The SP-API operations Feedback Autopilot calls. Each has its own usage plan; Amazon counts
/// per selling partner and application, so every seller client has its own buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// searchOrders (Orders v2026-01-01).
    SearchOrders,
    /// getOrder (Orders v2026-01-01).
    GetOrder,
    /// listFinancialEvents (Finances v0), for refunds.
    ListFinancialEvents,
    GetSolicitationActionsForOrder,
    CreateProductReviewAndSellerFeedbackSolicitation,
    CreateReport,
    GetReport,
    GetReportDocument,
    /// All Notifications API calls share one plan.
    Notifications,
}

impl Operation {
    pub const ALL: [Operation; 9] = [
        Operation::SearchOrders,
        Operation::GetOrder,
        Operation::ListFinancialEvents,
        Operation::GetSolicitationActionsForOrder,
        Operation::CreateProductReviewAndSellerFeedbackSolicitation,
        Operation::CreateReport,
        Operation::GetReport,
        Operation::GetReportDocument,
        Operation::Notifications,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Operation::SearchOrders => "searchOrders",
            Operation::GetOrder => "getOrder",
            Operation::ListFinancialEvents => "listFinancialEvents",
            Operation::GetSolicitationActionsForOrder => "getSolicitationActionsForOrder",
            Operation::CreateProductReviewAndSellerFeedbackSolicitation => {
                "createProductReviewAndSellerFeedbackSolicitation"
            }
            Operation::CreateReport => "createReport",
            Operation::GetReport => "getReport",
            Operation::GetReportDocument => "getReportDocument",
            Operation::Notifications => "notifications",
        }
    }

    /// Amazon's published default plan (requests per second, burst).
    pub fn default_plan(self) -> UsagePlan {
        let (rate, burst) = match self {
            Operation::SearchOrders => (0.0056, 20),
            Operation::GetOrder => (0.5, 30),
            Operation::ListFinancialEvents => (0.5, 30),
            Operation::GetSolicitationActionsForOrder => (1.0, 5),
            Operation::CreateProductReviewAndSellerFeedbackSolicitation => (1.0, 5),
            Operation::CreateReport => (0.0167, 15),
            Operation::GetReport => (2.0, 15),
            Operation::GetReportDocument => (0.0167, 15),
            Operation::Notifications => (1.0, 5),
        };
        UsagePlan { rate_per_second: rate, burst }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UsagePlan {
    pub rate_per_second: f64,
    pub burst: u32,
}

/// The plans in force. `scaled` multiplies every rate, for simulators and tests that should not
/// wait three minutes per searchOrders call; production uses [`UsagePlans::amazon`].
#[derive(Debug, Clone, PartialEq)]
pub struct UsagePlans {
    plans: Vec<(Operation, UsagePlan)>,
}

impl UsagePlans {
    pub fn amazon() -> Self {
        Self { plans: Operation::ALL.iter().map(|op| (*op, op.default_plan())).collect() }
    }

    pub fn scaled(factor: f64) -> Self {
        let mut plans = Self::amazon();
        for (_, plan) in &mut plans.plans {
            plan.rate_per_second *= factor;
        }
        plans
    }

    pub fn with(mut self, operation: Operation, plan: UsagePlan) -> Self {
        for (op, existing) in &mut self.plans {
            if *op == operation {
                *existing = plan;
            }
        }
        self
    }

    pub fn get(&self, operation: Operation) -> UsagePlan {
        self.plans.iter().find(|(op, _)| *op == operation).map(|(_, p)| *p).unwrap_or(operation.default_plan())
    }
}

/// A token bucket: `burst` tokens, refilled at `rate` per second. Callers wait for a token
/// rather than be throttled by Amazon; a waiting caller gives up at its deadline.
#[derive(Debug)]
pub struct TokenBucket {
    state: Mutex<BucketState>,
}

/// The share of a plan the client aims at. A request that leaves on the dot reaches Amazon a
/// few milliseconds early or late, so pacing at the plan's exact rate meets Amazon's bucket a
/// hair short of a token now and then: a 429, which halves the pace (see
/// [`TokenBucket::throttled`]) for the next dozen calls. Aiming 5 % under the plan leaves 50 ms
/// of slack a call at 1 request/s.
pub const CLIENT_PACE: f64 = 0.95;

#[derive(Debug)]
struct BucketState {
    /// The plan's rate.
    plan_rate: f64,
    /// The share of the plan's rate this bucket grants at most: 1 for Amazon's own bucket (the
    /// simulator), [`CLIENT_PACE`] for a client's.
    pace: f64,
    /// The rate in force: lowered on 429s, raised back on successes (AIMD), so several
    /// processes sharing one seller's quota settle below it instead of fighting over it.
    rate: f64,
    burst: f64,
    tokens: f64,
    refilled_at: Instant,
}

/// Not enough time before the deadline to wait for a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WouldExceedDeadline {
    pub wait: Duration,
}

impl TokenBucket {
    /// Amazon's bucket for `plan`: its rate and burst exactly.
    pub fn new(plan: UsagePlan) -> Self {
        Self::paced(plan, 1.0)
    }

    /// A client's bucket for `plan`: the plan's burst, then `pace` of its rate
    /// ([`CLIENT_PACE`] unless configured; kept within (0, 1]).
    pub fn client(plan: UsagePlan, pace: f64) -> Self {
        let pace = if pace.is_finite() && pace > 0.0 { pace.min(1.0) } else { CLIENT_PACE };
        Self::paced(plan, pace)
    }

    fn paced(plan: UsagePlan, pace: f64) -> Self {
        let burst = f64::from(plan.burst.max(1));
        Self {
            state: Mutex::new(BucketState {
                plan_rate: plan.rate_per_second.max(1e-6),
                pace,
                rate: plan.rate_per_second.max(1e-6) * pace,
                burst,
                tokens: burst,
                refilled_at: Instant::now(),
            }),
        }
    }

    /// Take one token, waiting for it if needed, unless the wait would pass `deadline`.
    pub async fn acquire(&self, deadline: Instant) -> Result<(), WouldExceedDeadline> {
        loop {
            let wait = {
                let mut state = self.state.lock().await;
                state.refill(Instant::now());
                if state.has_token() {
                    state.tokens = (state.tokens - 1.0).max(0.0);
                    return Ok(());
                }
                // At least a millisecond: a wait that rounds to nothing would spin.
                Duration::from_secs_f64((1.0 - state.tokens) / state.rate).max(Duration::from_millis(1))
            };
            if Instant::now() + wait > deadline {
                return Err(WouldExceedDeadline { wait });
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// Take one token if there is one now, without waiting (how Amazon's side behaves: no
    /// token, 429). Returns whether a token was taken.
    pub async fn try_acquire(&self) -> bool {
        let mut state = self.state.lock().await;
        state.refill(Instant::now());
        if state.has_token() {
            state.tokens = (state.tokens - 1.0).max(0.0);
            true
        } else {
            false
        }
    }

    pub async fn rate(&self) -> f64 {
        self.state.lock().await.rate
    }

    /// Amazon said 429: our view of the bucket was optimistic (another process of the same
    /// seller, or a lower plan). Empty it and halve the rate (never below a tenth of the plan),
    /// and adopt Amazon's reported rate if it is lower still.
    pub async fn throttled(&self, reported_rate: Option<f64>) {
        let mut state = self.state.lock().await;
        state.refill(Instant::now());
        state.tokens = 0.0;
        state.rate = (state.rate * 0.5).max(state.plan_rate * 0.1);
        if let Some(rate) = reported_rate.filter(|r| *r > 0.0 && *r < state.rate) {
            state.rate = rate;
        }
    }

    /// A call went through: creep back towards the plan's rate (additive increase). When
    /// Amazon reports a higher rate in `x-amzn-RateLimit-Limit` ("the usage plan rate limits
    /// that are applied to the requested operation"; sellers with higher needs get higher
    /// plans), that becomes the plan.
    pub async fn succeeded(&self, reported_rate: Option<f64>) {
        let mut state = self.state.lock().await;
        if let Some(rate) = reported_rate.filter(|r| r.is_finite() && *r > state.plan_rate) {
            state.refill(Instant::now());
            state.plan_rate = rate;
            state.rate = rate * state.pace;
            return;
        }
        let ceiling = state.plan_rate * state.pace;
        if state.rate < ceiling {
            state.refill(Instant::now());
            state.rate = (state.rate + state.plan_rate * 0.05).min(ceiling);
        }
    }
}

impl BucketState {
    /// A whole token, give or take the rounding of `tokens + elapsed * rate` (a refill that
    /// lands a hair under 1.0 after the exact wait is a token).
    fn has_token(&self) -> bool {
        self.tokens >= 1.0 - 1e-9
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.refilled_at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.refilled_at = now;
    }
}

/// Exponential backoff with full jitter: a random wait in `[0, min(cap, base * 2^attempt)]`.
pub fn backoff(attempt: u32, base: Duration, cap: Duration) -> Duration {
    let ceiling = base.saturating_mul(1u32 << attempt.min(16)).min(cap);
    ceiling.mul_f64(fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Take `n` tokens (an hour's deadline); how long that waited.
    async fn take(bucket: &TokenBucket, n: usize) -> Duration {
        let start = Instant::now();
        for _ in 0..n {
            bucket.acquire(start + Duration::from_secs(3600)).await.unwrap();
        }
        Instant::now() - start
    }

    #[tokio::test(start_paused = true)]
    async fn bucket_allows_burst_then_paces_at_rate() {
        let bucket = TokenBucket::new(UsagePlan { rate_per_second: 1.0, burst: 5 });
        assert_eq!(take(&bucket, 5).await, Duration::ZERO, "the burst is immediate");
        let waited = take(&bucket, 3).await;
        assert!(waited >= Duration::from_millis(2990) && waited <= Duration::from_millis(3100), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn bucket_refuses_a_wait_past_the_deadline() {
        let bucket = TokenBucket::new(UsagePlan { rate_per_second: 0.0167, burst: 1 });
        let now = Instant::now();
        bucket.acquire(now + Duration::from_secs(1)).await.unwrap();
        let err = bucket.acquire(now + Duration::from_secs(10)).await.unwrap_err();
        assert!(err.wait > Duration::from_secs(50), "{err:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_empties_the_bucket_and_lowers_the_rate() {
        let bucket = TokenBucket::new(UsagePlan { rate_per_second: 2.0, burst: 10 });
        // Amazon reports a lower plan than ours: adopt it
        bucket.throttled(Some(0.5)).await;
        assert_eq!(bucket.rate().await, 0.5);
        let start = Instant::now();
        bucket.acquire(start + Duration::from_secs(60)).await.unwrap();
        assert!(Instant::now() - start >= Duration::from_millis(1990));
        // a higher reported rate is not trusted; the rate halves down to a tenth of the plan
        bucket.throttled(Some(100.0)).await;
        assert_eq!(bucket.rate().await, 0.25);
        for _ in 0..10 {
            bucket.throttled(None).await;
        }
        assert!((bucket.rate().await - 0.2).abs() < 1e-9);
        // successes bring it back to the plan, never above
        for _ in 0..100 {
            bucket.succeeded(None).await;
        }
        assert_eq!(bucket.rate().await, 2.0);
        // a lower or absurd reported rate on success changes nothing; a higher one is the plan
        bucket.succeeded(Some(1.0)).await;
        bucket.succeeded(Some(f64::INFINITY)).await;
        assert_eq!(bucket.rate().await, 2.0);
        bucket.succeeded(Some(5.0)).await;
        assert_eq!(bucket.rate().await, 5.0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_clients_bucket_paces_under_the_plan_and_never_climbs_above_that() {
        let bucket = TokenBucket::client(UsagePlan { rate_per_second: 1.0, burst: 5 }, CLIENT_PACE);
        assert_eq!(take(&bucket, 5).await, Duration::ZERO, "the plan's whole burst");
        let waited = take(&bucket, 19).await.as_secs_f64();
        assert!((waited - 19.0 / CLIENT_PACE).abs() < 0.05, "{waited}");
        bucket.throttled(None).await;
        for _ in 0..100 {
            bucket.succeeded(None).await;
        }
        assert!((bucket.rate().await - CLIENT_PACE).abs() < 1e-9);
        bucket.succeeded(Some(4.0)).await;
        assert!((bucket.rate().await - 4.0 * CLIENT_PACE).abs() < 1e-9, "a higher plan, paced the same");
        let plan = UsagePlan { rate_per_second: 2.0, burst: 1 };
        assert_eq!(TokenBucket::client(plan, 1.0).rate().await, 2.0, "the plan's exact rate when asked");
        for nonsense in [0.0, -1.0, f64::NAN] {
            assert!((TokenBucket::client(plan, nonsense).rate().await - 2.0 * CLIENT_PACE).abs() < 1e-9);
        }
        assert_eq!(TokenBucket::client(plan, 3.0).rate().await, 2.0, "never above the plan");
    }

    #[test]
    fn backoff_is_bounded_by_the_cap() {
        for attempt in 0..40 {
            let wait = backoff(attempt, Duration::from_millis(100), Duration::from_secs(5));
            assert!(wait <= Duration::from_secs(5));
        }
        assert!(backoff(0, Duration::from_millis(100), Duration::from_secs(5)) <= Duration::from_millis(100));
    }

    #[test]
    fn scaled_plans_multiply_rates_only() {
        let plans = UsagePlans::scaled(10.0);
        let plan = plans.get(Operation::SearchOrders);
        assert!((plan.rate_per_second - 0.056).abs() < 1e-9);
        assert_eq!(plan.burst, 20);
    }
}
