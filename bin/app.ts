#!/usr/bin/env node
// CDK entry point (cdk.json: `npx tsx bin/app.ts`). Stage and store come from context:
// `npx cdk synth -c stage=prod -c seriesStore=dynamodb`.
import { App } from 'aws-cdk-lib';
import { buildLearningApp } from '../lib/learning-app.ts';

const app = new App();
buildLearningApp(app);
app.synth();
