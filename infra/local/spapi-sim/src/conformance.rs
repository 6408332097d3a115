//! The clauses of Amazon's official models (and docs) that the simulator enforces, each with
//! the model file and field it comes from. `tests/tests/sim_conformance.rs` checks every one
//! against the running simulator, and fails if a clause here has no check.
//!
//! Where Amazon's behaviour is unknown the simulator has a knob instead ([`crate::Fidelity`]);
//! those are listed with `model: "unknown"` and tested both ways.

/// One enforced clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clause {
    /// Short stable name, used by the conformance test.
    pub id: &'static str,
    /// The official model file (in amzn/selling-partner-api-models), or where the fact is from.
    pub model: &'static str,
    /// The field, parameter or operation the clause is about.
    pub field: &'static str,
    /// What the model says, quoted where short.
    pub rule: &'static str,
}

pub const CLAUSES: &[Clause] = &[
    Clause {
        id: "notification-afn-no-delivery-dates",
        model: "OrderChangeNotification.json",
        field: "Summary.EarliestDeliveryDate / Summary.LatestDeliveryDate",
        rule: "\"Returned only for seller-fulfilled orders\": never for AFN orders",
    },
    Clause {
        id: "notification-latest-delivery-status",
        model: "OrderChangeNotification.json",
        field: "Summary.LatestDeliveryDate",
        rule: "\"only for seller-fulfilled orders that do not have a PendingAvailability, Pending, or Canceled status\"",
    },
    Clause {
        id: "notification-required-fields",
        model: "OrderChangeNotification.json",
        field: "required (every level), OrderItems[].SellerSKU/SupplySourceId/Quantity, ChangeReason",
        rule: "every required field is present, and nothing outside the schema is sent; ChangeReason's wording for status changes is not documented: a knob (Fidelity::status_change_reason), checked both ways",
    },
    Clause {
        id: "notification-nullable-fields",
        model: "OrderChangeNotification.json",
        field: "OrderChangeTrigger.TimeOfOrderChange, Summary.PurchaseDate, Summary.DestinationPostalCode",
        rule: "type [string, null]: \"null when there is no related timestamp/information\"",
    },
    Clause {
        id: "search-orders-after-inclusive",
        model: "orders_2026-01-01.json",
        field: "searchOrders lastUpdatedAfter / createdAfter",
        rule: "\"orders updated (created) at or after this time\": the bound is inclusive",
    },
    Clause {
        id: "search-orders-exactly-one-after",
        model: "orders_2026-01-01.json",
        field: "searchOrders createdAfter, lastUpdatedAfter, createdBefore, lastUpdatedBefore",
        rule: "\"exactly one of createdAfter and lastUpdatedAfter\"; the created and updated pairs do not mix; a Before is >= its After and at least two minutes before the request",
    },
    Clause {
        id: "search-orders-created-after",
        model: "orders_2026-01-01.json",
        field: "searchOrders createdAfter",
        rule: "orders created at or after the time are listed, whatever their last update",
    },
    Clause {
        id: "search-orders-pagination",
        model: "orders_2026-01-01.json",
        field: "searchOrders maxResultsPerPage, paginationToken, pagination.nextToken",
        rule: "1-100 per page (default 100); nextToken while more remain, \"absent\" on the last page",
    },
    Clause {
        id: "orders-datasets",
        model: "orders_2026-01-01.json",
        field: "includedData (FULFILLMENT, CANCELLATION)",
        rule: "fulfillment and item cancellation are datasets: only in the answer when asked for",
    },
    Clause {
        id: "orders-afn-deliver-by-window",
        model: "unknown (Fidelity::afn_deliver_by_window)",
        field: "Order.fulfillment.deliverByWindow",
        rule: "whether Amazon fills it for FBA orders is not documented: a knob, off by default, tested both ways",
    },
    Clause {
        id: "orders-fbm-packages",
        model: "orders_2026-01-01.json",
        field: "Order.packages",
        rule: "\"Only available for merchant-fulfilled (FBM) orders\": never for AFN orders",
    },
    Clause {
        id: "solicitation-window-hidden-estimate",
        model: "solicitations.json + DOMAIN (FBA)",
        field: "getSolicitationActionsForOrder _links.actions",
        rule: "the action is offered only inside the window computed from Amazon's own delivery estimate, shown or not",
    },
    Clause {
        id: "solicitation-once-per-order",
        model: "solicitations.json",
        field: "createProductReviewAndSellerFeedbackSolicitation",
        rule: "\"Send only one productReviewAndSellerFeedback or free form proactive message per order\"",
    },
    Clause {
        id: "solicitation-403-wording",
        model: "selling-partner-api-models#19, selling-partner-api-docs#121; unknown for not eligible (Fidelity)",
        field: "403 errors[].message",
        rule: "the wordings on record for a second request and outside the window; the not-eligible wording is a knob",
    },
    Clause {
        id: "finances-posted-range",
        model: "financesV0.json",
        field: "listFinancialEvents PostedAfter, PostedBefore",
        rule: "\"after (or on)\" and \"before (but not on)\"; PostedBefore later than PostedAfter and more than two minutes before the request",
    },
    Clause {
        id: "finances-refund-events",
        model: "financesV0.json",
        field: "FinancialEvents.RefundEventList[].AmazonOrderId, PostedDate",
        rule: "a refund is a ShipmentEvent in RefundEventList with the order id and posted date; refunds send no ORDER_CHANGE",
    },
    Clause {
        id: "finances-pagination",
        model: "financesV0.json",
        field: "MaxResultsPerPage, NextToken",
        rule: "1-100 results per page (default 100); NextToken while more remain",
    },
    Clause {
        id: "report-encoding",
        model: "DOMAIN (report encodings, as reported by SP-API users)",
        field: "report document download Content-Type",
        rule: "UTF-8, or the marketplace's legacy encoding (Windows-31J for JP, Cp1252 elsewhere) with or without a charset: a knob",
    },
];
