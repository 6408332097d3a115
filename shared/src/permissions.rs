//! What each function may do in AWS, declared beside its code: every function crate lists its
//! [`Grant`]s (`<function>::AWS_PERMISSIONS`), and two tests hold the declaration to the truth:
//! the template's policy for the function must grant exactly these actions on exactly these
//! resources (tests/tests/template.rs), and every AWS call the running function makes must be
//! one of them (tests/tests/lambda_local.rs reads the calls from the AWS SDK's own spans in
//! its debug logs, `rpc.service` and `rpc.method`).
//! The CDK app's policies are held to the template's by the parity test.

/// A resource of the stack a function may act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resource {
    /// The table (`Table`).
    Table,
    /// The table's `due` index.
    DueIndex,
    /// The sellers' SP-API credentials: secrets under `SellerSecretsPrefix`.
    SellerSecrets,
    /// The application's bus (`EventBus`).
    EventBus,
    /// The SES identity alerts come from (`AlertSenderIdentity`), as `AlertSender` only.
    AlertSenderIdentity,
    /// A job's FIFO work queue (`SolicitWorkQueue`, `OrderSyncWorkQueue`, ...).
    WorkQueue(crate::fanout::Job),
}

/// Permission for `actions` (IAM names, `dynamodb:Query`) the function's code calls, on one
/// resource.
#[derive(Debug, Clone, Copy)]
pub struct Grant {
    pub actions: &'static [&'static str],
    pub on: Resource,
}

impl Grant {
    pub const fn code(actions: &'static [&'static str], on: Resource) -> Self {
        Self { actions, on }
    }
}

/// Every (action, resource) pair the grants give, sorted.
pub fn pairs(grants: &[Grant]) -> std::collections::BTreeSet<(String, Resource)> {
    grants.iter().flat_map(|g| g.actions.iter().map(move |a| (a.to_string(), g.on))).collect()
}

/// Whether the function's code may call `action` (on any resource).
pub fn may_call(grants: &[Grant], action: &str) -> bool {
    grants.iter().any(|g| g.actions.contains(&action))
}
