/**
 * The format an entity was read from, on every entity the module converted to OpenSLO v1: `openslo/v1alpha`,
 * `openslo/v2alpha`, `pyrra` or `sloth`.
 * @public
 */
export const ANNOTATION_SOURCE_FORMAT = 'reliability.io/source-format';

/**
 * On a `PrometheusServiceLevel` the module made of a Sloth spec file (`version: prometheus/v1`, which has no entity
 * envelope): its `spec` is the file's spec as written, read as Sloth reads the file, and errors name the file's
 * fields. The value is the spec's `version`.
 * @public
 */
export const ANNOTATION_SLOTH_SPEC_FILE = 'reliability.io/sloth-spec-file';
