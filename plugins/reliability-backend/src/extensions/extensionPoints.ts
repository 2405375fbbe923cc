import { BackendPluginRegistrationPoints } from '@backstage/backend-plugin-api';
import {
  reliabilityEvaluationHooksExtensionPoint,
  ReliabilityEvaluationHook,
  reliabilityRecordsExtensionPoint,
  ReliabilityRecordsProvider,
  reliabilityRemediationActionsExtensionPoint,
  reliabilitySliSourcesExtensionPoint,
  RemediationAction,
  SliSource,
} from '@reliability-suite/plugin-reliability-node';

/** What modules added through the suite's extension points (reliability-node), read once the plugin starts. */
export interface ReliabilityExtensions {
  sources: SliSource[];
  actions: RemediationAction[];
  hooks: ReliabilityEvaluationHook[];
  recordsProviders: ReliabilityRecordsProvider[];
}

/** Registers the suite's four extension points; the lists fill as modules register. */
export function registerReliabilityExtensionPoints(
  env: BackendPluginRegistrationPoints,
): ReliabilityExtensions {
  const extensions: ReliabilityExtensions = {
    sources: [],
    actions: [],
    hooks: [],
    recordsProviders: [],
  };
  env.registerExtensionPoint(reliabilitySliSourcesExtensionPoint, {
    addSource: source => void extensions.sources.push(source),
  });
  env.registerExtensionPoint(reliabilityRemediationActionsExtensionPoint, {
    addAction: action => void extensions.actions.push(action),
  });
  env.registerExtensionPoint(reliabilityEvaluationHooksExtensionPoint, {
    addHook: hook => void extensions.hooks.push(hook),
  });
  env.registerExtensionPoint(reliabilityRecordsExtensionPoint, {
    addProvider: provider => void extensions.recordsProviders.push(provider),
  });
  return extensions;
}
