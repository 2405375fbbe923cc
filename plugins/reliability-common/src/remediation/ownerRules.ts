/**
 * Remediation rules an entity's owners write: the annotation names a YAML file (an http(s) URL, or a path relative
 * to the entity's catalog file) whose `rules` list has the schema of `reliability.remediation.rules`. @public
 */
export const ANNOTATION_REMEDIATION_RULES = 'reliability.io/remediation-rules';

/** One owner-written rule the backend refused: which entity, file, rule and field, and why. @public */
export interface OwnerRuleRefusal {
  entityRef: string;
  location: string;
  /** The rule's index in the file's `rules` list; absent when the whole file was refused. */
  index?: number;
  field: string;
  message: string;
}

/** GET /remediation/owner-rules: per entity, the rules loaded and those refused. @public */
export interface OwnerRulesResponse {
  items: Array<{
    entityRef: string;
    location: string;
    loadedAt: string;
    rules: string[];
    refusals: OwnerRuleRefusal[];
  }>;
  nextCursor?: string;
}
