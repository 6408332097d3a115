#!/usr/bin/env node
// The CDK app: one stack, the same resources as template.yaml (held to it by the parity test,
// tests/tests/cdk_parity.rs), checked by cdk-nag's AwsSolutions rules at synth time.
import * as cdk from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FeedbackAutopilotStack } from '../lib/stack';

const app = new cdk.App();
new FeedbackAutopilotStack(app, 'FeedbackAutopilot', {
  description: 'Feedback Autopilot: review requests, feedback tracking and removable-negative alerts for Amazon sellers',
  analyticsReporting: false,
});
cdk.Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
