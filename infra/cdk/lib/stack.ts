// Feedback Autopilot as a CDK stack: the resources template.yaml declares, under the same
// logical ids and with the same properties, so one deployment looks the same whichever tool
// made it. tests/tests/cdk_parity.rs compares this stack's synthesized template with
// template.yaml expanded by aws-sam-translator, resource by resource.
//
// The functions are built by cargo-lambda-cdk's RustFunction (cargo-lambda, arm64, release
// profile: the same build `sam build` makes). The rest is written as CloudFormation-level
// (L1) constructs: the higher-level ones add grants and resources of their own (an SQS event
// source grants itself more queue actions than SAM does) and parity is the point.
import * as path from 'path';
import * as cdk from 'aws-cdk-lib';
import { CfnParameter, Fn, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { RustFunction } from 'cargo-lambda-cdk';
import { Construct } from 'constructs';

const REPO_ROOT = path.join(__dirname, '..', '..', '..', '..');
// Amazon's Selling Partner API account: it delivers notifications to SQS.
const SP_API_NOTIFICATIONS_ACCOUNT = 'arn:aws:iam::437568002678:root';
const DAYS_14 = 1209600;
// What SAM attaches to every function role it creates (logs, X-Ray with Tracing: Active) and
// to those with an SQS event source.
const BASIC_EXECUTION = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
const XRAY_WRITE = 'arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess';
const SQS_POLLING = 'arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole';

type Statement = Record<string, unknown>;

interface FunctionDef {
  id: string;
  binary: string;
  description: string;
  timeout: number;
  memorySize?: number;
  environment?: Record<string, string>;
  logGroup: logs.CfnLogGroup;
  statements: Statement[];
  polls?: boolean;
  extraPolicies?: { name: string; statements: Statement[] }[];
}

export class FeedbackAutopilotStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);

    // Stage, SellerSecretsPrefix and AlertSenderIdentity are read through Fn::Sub strings only.
    new CfnParameter(this, 'Stage', {
      type: 'String', default: 'prod', allowedPattern: '[a-z0-9-]+',
      description: 'Name suffix that keeps several deployments apart in one account.',
    });
    new CfnParameter(this, 'SellerSecretsPrefix', {
      type: 'String', default: 'feedback-autopilot/sellers/',
      description: "Secrets Manager name prefix of the sellers' SP-API credentials; functions may read only secrets under it.",
    });
    const schedule = (name: string, value: string, description: string) =>
      new CfnParameter(this, name, { type: 'String', default: value, description });
    const solicitSchedule = schedule('SolicitSchedule', 'rate(30 minutes)', 'How often due review requests are sent (a solicit work unit per active seller).');
    const orderSyncSchedule = schedule('OrderSyncSchedule', 'rate(15 minutes)', 'How often the reconciliation and refunds polls run.');
    const digestSchedule = schedule('DigestSchedule', 'cron(0 7 * * ? *)', 'When the alerts function sends the digests due that day (UTC).');
    const feedbackSyncSchedule = schedule('FeedbackSyncSchedule', 'rate(1 hour)', 'How often feedback sync runs.');
    const alertSender = new CfnParameter(this, 'AlertSender', {
      type: 'String', default: 'alerts@example.com',
      description: 'The SES-verified address seller alerts come from; the alerts function may send only as this identity.',
    });
    new CfnParameter(this, 'AlertSenderIdentity', {
      type: 'String', default: 'example.com', description: 'The SES identity (domain or address) that covers AlertSender.',
    });
    const retention = new CfnParameter(this, 'LogRetentionDays', {
      type: 'Number', default: 30,
      allowedValues: ['1', '3', '5', '7', '14', '30', '60', '90', '120', '150', '180', '365', '400', '545', '731', '1096', '1827', '2192', '2557', '2922', '3288', '3653'],
      description: "How long CloudWatch keeps each function's logs (days).",
    });
    const workerConcurrency = new CfnParameter(this, 'WorkerConcurrency', {
      type: 'Number', default: 10, minValue: 2, maxValue: 1000,
      description: 'How many invocations of each worker take work units at once (sellers in parallel, each seller serial).',
    });

    const table = new dynamodb.CfnTable(this, 'Table', {
      tableName: Fn.sub('feedback-autopilot-${Stage}'),
      billingMode: 'PAY_PER_REQUEST',
      attributeDefinitions: ['pk', 'sk', 'due_pk', 'due_sk'].map((attributeName) => ({ attributeName, attributeType: 'S' })),
      keySchema: [{ attributeName: 'pk', keyType: 'HASH' }, { attributeName: 'sk', keyType: 'RANGE' }],
      globalSecondaryIndexes: [{
        indexName: 'due',
        keySchema: [{ attributeName: 'due_pk', keyType: 'HASH' }, { attributeName: 'due_sk', keyType: 'RANGE' }],
        projection: { projectionType: 'KEYS_ONLY' },
      }],
      timeToLiveSpecification: { attributeName: 'expires_at', enabled: true },
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      sseSpecification: { sseEnabled: true },
      tags: [{ key: 'application', value: 'feedback-autopilot' }],
    });
    retain(table);

    const queue = (id: string, name: string, extra: Partial<sqs.CfnQueueProps> = {}) =>
      new sqs.CfnQueue(this, id, {
        queueName: Fn.sub(`feedback-autopilot-\${Stage}-${name}`),
        messageRetentionPeriod: DAYS_14,
        sqsManagedSseEnabled: true,
        ...extra,
      });
    // A queue Amazon delivers SP-API notifications to, with its DLQ (kept on delete).
    const notificationQueue = (id: string, name: string, visibilityTimeout: number) => {
      const dlq = queue(`${id}DeadLetterQueue`, `${name}-dlq`);
      retain(dlq);
      const notifications = queue(`${id}Queue`, name, {
        visibilityTimeout,
        redrivePolicy: { deadLetterTargetArn: dlq.attrArn, maxReceiveCount: 5 },
      });
      spApiMayNotify(this, `${id}QueuePolicy`, notifications);
      return [notifications, dlq];
    };
    // Six times each consumer's timeout, as AWS advises for Lambda event sources.
    const [orderQueue, orderDlq] = notificationQueue('OrderEvents', 'order-events', 180);
    const [reportQueue, reportDlq] = notificationQueue('ReportEvents', 'report-events', 1800);

    const bus = new events.CfnEventBus(this, 'EventBus', { name: Fn.sub('feedback-autopilot-${Stage}') });
    const alertsDlq = queue('AlertsDeadLetterQueue', 'alerts-dlq');
    retain(alertsDlq);
    Validations.of(alertsDlq).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SQS3',
      reason: "It is a dead-letter queue: of the alerts rule's failed deliveries and the alerts function's failed invocations (on-failure destination), which cdk-nag cannot see as a queue's redrive target.",
    });
    new sqs.CfnQueuePolicy(this, 'AlertsDeadLetterQueuePolicy', {
      queues: [alertsDlq.ref],
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{
          Sid: 'FailedAlertEventDeliveries',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: alertsDlq.attrArn,
          Condition: { ArnEquals: { 'aws:SourceArn': Fn.sub('arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/${EventBus}/*') } },
        }],
      },
    });

    // The fan-out's FIFO work queues (one per job) and their FIFO DLQ (kept on delete).
    const workDlq = queue('WorkDeadLetterQueue', 'work-dlq.fifo', { fifoQueue: true });
    retain(workDlq);
    const workQueue = (id: string, name: string, workerTimeout: number) =>
      queue(id, `${name}-work.fifo`, {
        fifoQueue: true,
        // six times the worker's timeout; a unit is worth its run only
        visibilityTimeout: 6 * workerTimeout,
        messageRetentionPeriod: 86400,
        redrivePolicy: { deadLetterTargetArn: workDlq.attrArn, maxReceiveCount: 3 },
      });
    const solicitWork = workQueue('SolicitWorkQueue', 'solicit', 300);
    const orderSyncWork = workQueue('OrderSyncWorkQueue', 'order-sync', 600);
    const feedbackSyncWork = workQueue('FeedbackSyncWorkQueue', 'feedback-sync', 300);
    const digestWork = workQueue('DigestWorkQueue', 'digest', 300);
    // A worker takes its job's units: bad ones fail alone, at most WorkerConcurrency at once.
    const takesWork = (id: string, fn: lambda.CfnFunction, work: sqs.CfnQueue) =>
      new lambda.CfnEventSourceMapping(this, id, {
        batchSize: 10,
        eventSourceArn: work.attrArn,
        functionName: fn.ref,
        functionResponseTypes: ['ReportBatchItemFailures'],
        scalingConfig: { maximumConcurrency: workerConcurrency.valueAsNumber },
      });

    const logGroup = (id: string, name: string) =>
      new logs.CfnLogGroup(this, id, {
        logGroupName: Fn.sub(`/feedback-autopilot/\${Stage}/${name}`),
        retentionInDays: retention.valueAsNumber,
      });

    const tableArn = table.attrArn;
    const sellerSecrets = Fn.sub('arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${SellerSecretsPrefix}*');
    const allow = (action: string | string[], resource: unknown, condition?: unknown): Statement =>
      ({ Effect: 'Allow', Action: action, Resource: resource, ...(condition ? { Condition: condition } : {}) });

    const orderEvents = this.rustFunction({
      id: 'OrderEventsFunction', binary: 'order-events', timeout: 30, polls: true,
      description: 'Records ORDER_CHANGE notifications; bad messages fail alone and reach the DLQ.',
      logGroup: logGroup('OrderEventsLogGroup', 'order-events'),
      statements: [allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], tableArn)],
    }, table, bus);
    new lambda.CfnEventSourceMapping(this, 'OrderEventsFunctionOrderChanges', {
      batchSize: 10,
      eventSourceArn: orderQueue.attrArn,
      functionName: orderEvents.ref,
      maximumBatchingWindowInSeconds: 5,
      functionResponseTypes: ['ReportBatchItemFailures'],
    });

    const orderSync = this.rustFunction({
      id: 'OrderSyncFunction', binary: 'order-sync', timeout: 600, polls: true,
      description: 'Scheduled searchOrders reconciliation poll, so no order is missed; refunds poll, so no refunded order is asked for a review; orders per purchase day for the ODR.',
      logGroup: logGroup('OrderSyncLogGroup', 'order-sync'),
      statements: [
        allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], tableArn),
        allow('secretsmanager:GetSecretValue', sellerSecrets),
      ],
    }, table, bus);
    takesWork('OrderSyncFunctionWork', orderSync, orderSyncWork);

    const feedbackSync = this.rustFunction({
      id: 'FeedbackSyncFunction', binary: 'feedback-sync', timeout: 300, memorySize: 512, polls: true,
      description: 'Feedback reports, removability triage, deadline reminders and daily ratings.',
      logGroup: logGroup('FeedbackSyncLogGroup', 'feedback-sync'),
      statements: [
        allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'], tableArn),
        allow('secretsmanager:GetSecretValue', sellerSecrets),
        allow('events:PutEvents', bus.attrArn),
      ],
    }, table, bus);
    takesWork('FeedbackSyncFunctionWork', feedbackSync, feedbackSyncWork);
    new lambda.CfnEventSourceMapping(this, 'FeedbackSyncFunctionReportFinished', {
      batchSize: 5,
      eventSourceArn: reportQueue.attrArn,
      functionName: feedbackSync.ref,
      functionResponseTypes: ['ReportBatchItemFailures'],
    });

    const alerts = this.rustFunction({
      id: 'AlertsFunction', binary: 'alerts', timeout: 300, polls: true,
      description: 'E-mails sellers about feedback events and sends their digests, at most once per mail and recipient.',
      environment: { AUTOPILOT_MAIL_FROM: alertSender.valueAsString },
      logGroup: logGroup('AlertsLogGroup', 'alerts'),
      statements: [
        allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'], tableArn),
        allow('ses:SendEmail', Fn.sub('arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${AlertSenderIdentity}'),
          { StringEquals: { 'ses:FromAddress': alertSender.valueAsString } }),
      ],
      // What SAM adds for an on-failure destination: Lambda sends the failed event with the role.
      extraPolicies: [{
        name: 'AlertsFunctionEventInvokeConfigOnFailureSQSPolicy',
        statements: [allow('sqs:SendMessage', alertsDlq.attrArn)],
      }],
    }, table, bus);
    new lambda.CfnEventInvokeConfig(this, 'AlertsFunctionEventInvokeConfig', {
      functionName: alerts.ref,
      qualifier: '$LATEST',
      maximumRetryAttempts: 2,
      maximumEventAgeInSeconds: 21600,
      destinationConfig: { onFailure: { destination: alertsDlq.attrArn } },
    });
    const feedbackEvents = new events.CfnRule(this, 'AlertsFunctionFeedbackEvents', {
      eventBusName: bus.ref,
      eventPattern: {
        source: ['feedback-autopilot'],
        'detail-type': ['NegativeFeedbackReceived', 'FeedbackDeadlineApproaching', 'FeedbackRemoved', 'RatingThresholdCrossed', 'ReviewRequestsProcessed'],
      },
      targets: [{
        arn: alerts.attrArn,
        id: 'AlertsFunctionFeedbackEventsLambdaTarget',
        deadLetterConfig: { arn: alertsDlq.attrArn },
        retryPolicy: { maximumRetryAttempts: 10, maximumEventAgeInSeconds: 86400 },
      }],
    });
    this.invokedBy('AlertsFunctionFeedbackEventsPermission', alerts, feedbackEvents);
    takesWork('AlertsFunctionDigests', alerts, digestWork);

    const solicit = this.rustFunction({
      id: 'SolicitFunction', binary: 'solicit', timeout: 300, polls: true,
      description: "Sends each eligible buyer one review request inside Amazon's window.",
      logGroup: logGroup('SolicitLogGroup', 'solicit'),
      statements: [
        allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], tableArn),
        allow('dynamodb:Query', Fn.sub('${Table.Arn}/index/due')),
        allow('secretsmanager:GetSecretValue', sellerSecrets),
        allow('events:PutEvents', bus.attrArn),
      ],
    }, table, bus);
    takesWork('SolicitFunctionWork', solicit, solicitWork);

    // The coordinator: each job's schedule invokes it with the job as input.
    const fanOut = this.rustFunction({
      id: 'FanOutFunction', binary: 'fan-out', timeout: 60,
      description: "On each job's schedule, one work unit per seller on the job's queue.",
      environment: {
        AUTOPILOT_SOLICIT_WORK_QUEUE: solicitWork.ref,
        AUTOPILOT_ORDER_SYNC_WORK_QUEUE: orderSyncWork.ref,
        AUTOPILOT_FEEDBACK_SYNC_WORK_QUEUE: feedbackSyncWork.ref,
        AUTOPILOT_DIGEST_WORK_QUEUE: digestWork.ref,
      },
      logGroup: logGroup('FanOutLogGroup', 'fan-out'),
      statements: [
        allow('dynamodb:Query', tableArn),
        allow('sqs:SendMessage', [solicitWork.attrArn, orderSyncWork.attrArn, feedbackSyncWork.attrArn, digestWork.attrArn]),
      ],
    }, table, bus);
    this.schedule('FanOutFunctionSolicit', fanOut, solicitSchedule, 'solicit');
    this.schedule('FanOutFunctionOrderSync', fanOut, orderSyncSchedule, 'order-sync');
    this.schedule('FanOutFunctionFeedbackSync', fanOut, feedbackSyncSchedule, 'feedback-sync');
    this.schedule('FanOutFunctionDigest', fanOut, digestSchedule, 'digest');

    output(this, 'EventBusName', 'The bus domain events are published on.', bus.ref);
    output(this, 'OrderEventsQueueArn', 'Register this queue as the SP-API notification destination for ORDER_CHANGE.', orderQueue.attrArn);
    output(this, 'ReportEventsQueueArn', 'Register this queue as the SP-API notification destination for REPORT_PROCESSING_FINISHED.', reportQueue.attrArn);
    output(this, 'TableName', 'The DynamoDB table holding orders, review requests, feedback and ratings.', table.ref);
    // What `autopilot --stack NAME` reads.
    output(this, 'StackName', 'The name SP-API destinations are created under (autopilot).', Fn.ref('AWS::StackName'));
    output(this, 'CredentialsSecretPrefix', 'Where autopilot seller add stores credentials.', Fn.ref('SellerSecretsPrefix'));
    output(this, 'OrderEventsQueueUrl', 'The ORDER_CHANGE queue (autopilot).', orderQueue.ref);
    output(this, 'OrderEventsDeadLetterQueueUrl', 'Its dead-letter queue (autopilot dlq).', orderDlq.ref);
    output(this, 'ReportEventsQueueUrl', 'The REPORT_PROCESSING_FINISHED queue (autopilot).', reportQueue.ref);
    output(this, 'ReportEventsDeadLetterQueueUrl', 'Its dead-letter queue (autopilot dlq).', reportDlq.ref);
    output(this, 'AlertsDeadLetterQueueUrl', 'Alert events that failed (autopilot dlq).', alertsDlq.ref);
    output(this, 'WorkDeadLetterQueueUrl', 'Work units the workers failed three times.', workDlq.ref);

    Validations.of(this).acknowledge({
      id: 'CloudFormation-Validate::W2509',
      reason: 'SellerSecretsPrefix is the name prefix of the secrets the functions may read, not a secret: it must show.',
    });
    this.justifyFindings();
  }

  /// A Rust function built by cargo-lambda, with its own role (the policies SAM would give it)
  /// and the template's logical ids.
  private rustFunction(def: FunctionDef, table: dynamodb.CfnTable, bus: events.CfnEventBus): lambda.CfnFunction {
    const role = new iam.CfnRole(this, `${def.id}Role`, {
      assumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: ['sts:AssumeRole'], Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] } }],
      },
      managedPolicyArns: [BASIC_EXECUTION, XRAY_WRITE, ...(def.polls ? [SQS_POLLING] : [])],
      policies: [
        ...(def.extraPolicies ?? []).map((p) => ({ policyName: p.name, policyDocument: { Statement: p.statements } })),
        { policyName: `${def.id}RolePolicy0`, policyDocument: { Version: '2012-10-17', Statement: def.statements } },
      ],
    });
    const fn = new RustFunction(this, def.id, {
      manifestPath: path.join(REPO_ROOT, 'functions', def.binary, 'Cargo.toml'),
      binaryName: def.binary,
      runtime: 'provided.al2023',
      architecture: lambda.Architecture.ARM_64,
      memorySize: def.memorySize ?? 256,
      timeout: cdk.Duration.seconds(def.timeout),
      tracing: lambda.Tracing.ACTIVE,
      functionName: Fn.sub(`feedback-autopilot-\${Stage}-${def.binary}`),
      description: def.description,
      // Imported as immutable: the function adds no grants of its own to it.
      role: iam.Role.fromRoleArn(this, `${def.id}RoleRef`, role.attrArn, { mutable: false }),
      logGroup: logs.LogGroup.fromLogGroupName(this, `${def.id}LogGroupRef`, def.logGroup.ref),
      environment: {
        AUTOPILOT_TABLE: table.ref,
        AUTOPILOT_EVENT_BUS: bus.ref,
        RUST_LOG: 'info',
        ...(def.environment ?? {}),
        // the bound on each invocation's deadline (shared/src/lambda.rs): keep it = timeout
        AUTOPILOT_TIMEOUT_SECONDS: String(def.timeout),
      },
    });
    const cfn = fn.node.defaultChild as lambda.CfnFunction;
    cfn.overrideLogicalId(def.id);
    cfn.handler = 'bootstrap';
    const managed = "The AWS managed policies SAM attaches to every function role it makes (logs; X-Ray, as tracing is active; SQS polling for a queue-triggered function): the same here, so SAM and CDK deployments grant alike.";
    for (const arn of [BASIC_EXECUTION, XRAY_WRITE, SQS_POLLING]) {
      Validations.of(role).acknowledge({ id: `AwsSolutions-IAM4[Policy::${arn}]`, reason: managed });
    }
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:<SellerSecretsPrefix>*]',
      reason: 'Seller credentials are one secret per seller, created at onboarding: the grant covers the SellerSecretsPrefix namespace only, never other secrets.',
    });
    return cfn;
  }

  /// A schedule rule invoking the coordinator `fn` with `{"job": job}`, as SAM's `Schedule`
  /// event with an `Input` makes it.
  private schedule(id: string, fn: lambda.CfnFunction, expression: CfnParameter, job: string) {
    const rule = new events.CfnRule(this, id, {
      scheduleExpression: expression.valueAsString,
      targets: [{ arn: fn.attrArn, id: `${id}LambdaTarget`, input: `{"job": "${job}"}` }],
    });
    this.invokedBy(`${id}Permission`, fn, rule);
  }

  private invokedBy(id: string, fn: lambda.CfnFunction, rule: events.CfnRule) {
    new lambda.CfnPermission(this, id, {
      action: 'lambda:InvokeFunction',
      functionName: fn.ref,
      principal: 'events.amazonaws.com',
      sourceArn: rule.attrArn,
    });
  }

  private justifyFindings() {
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-SQS4',
      reason: "The queues' only senders and readers are AWS services over their TLS endpoints (Amazon's SP-API notifications, EventBridge, Lambda's pollers and destinations); template.yaml's queue policies grant exactly those, and the CDK stack mirrors them.",
    });
  }
}

function retain(resource: cdk.CfnResource) {
  resource.cfnOptions.deletionPolicy = cdk.CfnDeletionPolicy.RETAIN;
  resource.cfnOptions.updateReplacePolicy = cdk.CfnDeletionPolicy.RETAIN;
}

function spApiMayNotify(scope: Construct, id: string, queue: sqs.CfnQueue) {
  new sqs.CfnQueuePolicy(scope, id, {
    queues: [queue.ref],
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{
        Sid: 'AmazonSellingPartnerNotifications',
        Effect: 'Allow',
        Principal: { AWS: SP_API_NOTIFICATIONS_ACCOUNT },
        Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes'],
        Resource: queue.attrArn,
      }],
    },
  });
}

function output(scope: Construct, id: string, description: string, value: string) {
  new cdk.CfnOutput(scope, id, { description, value });
}
