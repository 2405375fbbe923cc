export interface Config {
  reliability?: {
    /** The local publisher (reliability:publish:local), used by the demo's templates. */
    scaffolder?: {
      /** The folder templates publish into, which a catalog Location reads (relative to where the backend runs). */
      publishDir?: string;
      /** That Location's entity ref: refreshed after publishing, so new entities appear at once. */
      locationRef?: string;
    };
    /** Guardrails of chaos experiments; reliability:chaos:create rejects experiments beyond them. */
    chaos?: {
      /** The largest share of traffic or pods an experiment may hit. Default 10. */
      maxTrafficPercent?: number;
    };
  };
}
