/** The suite's names in the catalog and on the wire. */

/** The plugin id, also the REST base path segment. @public */
export const RELIABILITY_PLUGIN_ID = 'reliability';
/** Entity kind of SLO documents in the catalog. @public */
export const SLO_KIND = 'SLO';
/** apiVersion of SLO documents. @public */
export const OPENSLO_API_VERSION = 'openslo/v1';
/** Relation from an SLO to the component it measures, and back. @public */
export const RELATION_MEASURES = 'measures';
/** @public */
export const RELATION_MEASURED_BY = 'measuredBy';
