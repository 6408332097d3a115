//! Reading the local stack's SQS queues the way Lambda's event source mapping would: the
//! notifications the simulator delivers (and what a bus rule sends to a queue), for the tests
//! and the demo, which hand them to the functions' handlers.

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::Message;

/// Every message waiting in the queue, each deleted once read.
pub async fn drain_queue(sqs: &aws_sdk_sqs::Client, queue_url: &str) -> Result<Vec<Message>, String> {
    let mut all = Vec::new();
    loop {
        let received = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            // FIFO queues: the message group comes along (absent on standard queues).
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId)
            .send()
            .await
            .map_err(|err| format!("receive from {queue_url}: {}", DisplayErrorContext(&err)))?;
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok(all);
        }
        for message in messages {
            if let Some(handle) = message.receipt_handle() {
                sqs.delete_message()
                    .queue_url(queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .map_err(|err| format!("delete from {queue_url}: {}", DisplayErrorContext(&err)))?;
            }
            all.push(message);
        }
    }
}

/// The messages as one SQS event, as Lambda hands a batch to a function.
pub fn lambda_batch(messages: Vec<Message>) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = messages
        .into_iter()
        .map(|m| {
            let mut record = SqsMessage::default();
            record.message_id = m.message_id;
            record.body = m.body;
            record
        })
        .collect();
    event
}
