import {
  AuthService,
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { Entity, RELATION_OWNED_BY } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  CHAOS_ABORT_ALERT,
  CommanderAlert,
  RunbookSection,
  sectionForAlert,
  severityRank,
} from '@reliability-suite/plugin-reliability-common';
import { AlertStore } from '../alerts/AlertStore';
import { AlertmanagerStore } from '../alertmanager/AlertmanagerStore';
import { SloRegistry } from '../slos';
import type { SloStatusReader } from '../slos';
import { RemediationStore } from '../remediation/RemediationStore';
import { EscalationStore } from '../remediation/EscalationStore';
import { ChaosStore } from '../chaos/ChaosStore';
import { ChangeStore } from '../changes/ChangeStore';
import { sloAlertLabels } from '../remediation/triggers';
import { RunbookService } from '../runbooks/RunbookService';
import { alertEntityRef } from '../alertmanager/entity';

/** A value shortened for display (the stored alert keeps it whole). */
function forDisplay(text: string, max = 500): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * What is burning now across the organisation, for the incident commander: the suite's firing (and pending)
 * burn-rate alerts and the firing alerts received from Alertmanager, each with its entity's owner and system, the
 * SLO's status, the entity's latest remediation, and the runbook section that answers it.
 */
export class CommanderService {
  constructor(
    private readonly o: {
      catalog: CatalogService;
      auth: AuthService;
      alerts: AlertStore;
      alertmanager: AlertmanagerStore;
      store: SloStatusReader;
      remediations: RemediationStore;
      escalations: EscalationStore;
      /** Chaos experiments aborted in the last hour page the commander. */
      chaos?: ChaosStore;
      /** The last change of each alert's entity before it started. */
      changes?: ChangeStore;
      runbooks: RunbookService;
      registry: SloRegistry;
      logger: LoggerService;
    },
  ) {}

  /** The alerts about entities the caller may read (with `credentials`; all of them without), most urgent first. */
  async alerts(
    now: number,
    callerCredentials?: BackstageCredentials,
  ): Promise<CommanderAlert[]> {
    const [own, received, escalations, aborted] = await Promise.all([
      this.o.alerts.list({ states: ['firing', 'pending'], limit: 500 }),
      this.o.alertmanager.list({ status: 'firing', limit: 500 }),
      this.o.escalations.list({ state: 'open', limit: 500 }),
      this.o.chaos
        ? this.o.chaos.list({ states: ['aborted'], limit: 100, offset: 0 })
        : Promise.resolve([]),
    ]);
    const rows: (Omit<
      CommanderAlert,
      'owner' | 'system' | 'runbook' | 'remediation' | 'entityTitle' | 'ageMs'
    > & { labels: Record<string, string> })[] = [];
    const statuses = await this.o.store.getStatuses(own.map(a => a.sloRef));
    // a remediation rule that spent its attempt budget pages a human
    for (const e of escalations) {
      rows.push({
        key: `escalation-${e.id}`,
        source: 'reliability',
        name: 'RemediationEscalated',
        severity: 'page',
        state: 'firing',
        entityRef: e.entityRef,
        startedAt: e.openedAt,
        summary: `Remediation ${e.ruleId} gave up after ${e.attempts} attempts in ${e.attemptWindow}`,
        slo: null,
        labels: {
          alertname: 'RemediationEscalated',
          severity: 'page',
          entity: e.entityRef,
          rule: e.ruleId,
        },
      });
    }
    // a chaos experiment stopped in the last hour (its guard saw the SLO burn, or someone pressed the kill switch)
    for (const e of aborted.filter(
      x => x.finishedAt && now - Date.parse(x.finishedAt) < 3_600_000,
    )) {
      rows.push({
        key: `chaos-${e.id}`,
        source: 'reliability',
        name: CHAOS_ABORT_ALERT,
        severity: 'page',
        state: 'firing',
        entityRef: e.entityRef,
        startedAt: e.finishedAt!,
        summary: forDisplay(
          `Chaos experiment ${e.name} aborted: ${
            e.abortReason ?? 'no reason recorded'
          }`,
        ),
        slo: null,
        labels: {
          alertname: CHAOS_ABORT_ALERT,
          severity: 'page',
          entity: e.entityRef,
          experiment: e.name,
          slo: e.experiment.steadyState.slo,
        },
      });
    }
    for (const a of own) {
      const slo = await this.o.registry.byRef(a.sloRef);
      if (!slo) continue;
      const labels = sloAlertLabels(a, slo.def);
      const status = statuses.get(a.sloRef);
      rows.push({
        key: `alert-${a.id}`,
        source: 'reliability',
        name: labels.alertname,
        severity: a.severity,
        state: a.state,
        entityRef: slo.def.componentRef,
        startedAt: a.firedAt ?? a.startedAt,
        summary: `${slo.def.title}: ${a.rule}`,
        slo: {
          ref: slo.def.ref,
          title: slo.def.title,
          state: status?.state ?? null,
          budgetRemaining: status?.budgetRemaining ?? null,
        },
        labels,
      });
    }
    for (const a of received) {
      rows.push({
        key: `am-${a.fingerprint}`,
        source: 'alertmanager',
        name: forDisplay(a.alertname ?? 'alert', 200),
        severity: forDisplay(a.labels.severity ?? 'none', 50),
        state: 'firing',
        entityRef: alertEntityRef(a.labels) ?? '',
        startedAt: a.startsAt!,
        summary: forDisplay(
          a.annotations.summary ??
            a.annotations.description ??
            a.alertname ??
            '',
        ),
        slo: null,
        labels: a.labels,
      });
    }

    const refs = [...new Set(rows.map(r => r.entityRef).filter(Boolean))];
    const credentials =
      callerCredentials ?? (await this.o.auth.getOwnServiceCredentials());
    const entities = new Map<string, Entity>();
    if (refs.length) {
      // one odd alert must not take the view down: without the catalog's answer, rows show their refs only
      try {
        const res = await this.o.catalog.getEntitiesByRefs(
          { entityRefs: refs },
          { credentials },
        );
        res.items.forEach((e, i) => e && entities.set(refs[i], e));
      } catch (e) {
        this.o.logger.warn(
          `Commander view: the catalog lookup of ${
            refs.length
          } entities failed: ${(e as Error).message}`,
        );
      }
    }
    const runbooks = new Map<string, RunbookSection[] | null>();
    const latestRemediation = new Map<string, CommanderAlert['remediation']>();
    for (const ref of refs) {
      const e = entities.get(ref);
      if (e) {
        try {
          runbooks.set(
            ref,
            (
              await this.o.runbooks.get(
                e.kind,
                e.metadata.namespace ?? 'default',
                e.metadata.name,
              )
            ).sections,
          );
        } catch {
          runbooks.set(ref, null);
        }
      }
      const [last] = await this.o.remediations.list({
        entityRef: ref,
        limit: 1,
      });
      latestRemediation.set(
        ref,
        last
          ? { state: last.state, ruleId: last.ruleId, at: last.createdAt }
          : null,
      );
    }
    // the entity's last change in the day before each alert started (one query for all)
    const lastChanges = this.o.changes
      ? await this.o.changes.lastBefore(
          rows.map(r => ({
            entityRef: r.entityRef,
            t: Date.parse(r.startedAt),
          })),
          86_400_000,
        )
      : rows.map(() => null);
    const changeOf = new Map(rows.map((r, i) => [r, lastChanges[i]]));
    return (
      rows
        // an alert about an entity the caller cannot see in the catalog is not theirs to see
        .filter(
          r => !callerCredentials || !r.entityRef || entities.has(r.entityRef),
        )
        .map(row => {
          const { labels, ...r } = row;
          const change = changeOf.get(row);
          const e = entities.get(r.entityRef);
          const sections = runbooks.get(r.entityRef);
          const section = sections
            ? sectionForAlert(sections, labels)
            : undefined;
          return {
            ...r,
            entityTitle:
              e?.metadata.title ?? e?.metadata.name ?? (r.entityRef || null),
            owner:
              e?.relations?.find(rel => rel.type === RELATION_OWNED_BY)
                ?.targetRef ??
              (e?.spec?.owner as string | undefined) ??
              null,
            system: (e?.spec?.system as string | undefined) ?? null,
            runbook: sections
              ? {
                  entityRef: r.entityRef,
                  section: section?.id ?? null,
                  sectionTitle: section?.title ?? null,
                }
              : null,
            remediation: latestRemediation.get(r.entityRef) ?? null,
            lastChange: change
              ? {
                  kind: change.kind,
                  version: change.version,
                  summary: change.summary,
                  author: change.author,
                  link: change.link,
                  at: change.at,
                }
              : null,
            ageMs: now - Date.parse(r.startedAt),
          };
        })
        .sort(
          (a, b) =>
            severityRank(a.severity) - severityRank(b.severity) ||
            Date.parse(a.startedAt) - Date.parse(b.startedAt),
        )
    );
  }
}
