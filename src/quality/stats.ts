/**
 * Running totals of cost and quality per provider / request model / route since the monitor started,
 * and the snapshot sections they become (`snapshot().cost`, `snapshot().quality`).
 */
import type { CallCost, CallQuality, EvaluationResult } from '../record.js';
import { PRICES_CHECKED_AT } from '../cost/prices.js';

export interface CostGroupSnapshot {
  provider: string;
  model: string;
  route: string;
  /** US dollars of the calls with a known cost. */
  usd: number;
  /** The part of `usd` priced from estimated token counts. */
  estimatedUsd: number;
  /** Calls with a known cost. */
  pricedCalls: number;
  /** Calls whose cost is unknown (not in `usd`, never counted as 0). */
  unknownCostCalls: number;
}

export interface CostSnapshot {
  usd: number;
  estimatedUsd: number;
  pricedCalls: number;
  unknownCostCalls: number;
  /** The date the shipped prices were checked. */
  pricesCheckedAt: string;
  groups: CostGroupSnapshot[];
}

export interface EvaluatorCounts {
  pass: number;
  fail: number;
  error: number;
  timeout: number;
  /** fail / (pass + fail); undefined before any judged output. */
  failRate: number | undefined;
}

export interface QualityGroupSnapshot {
  provider: string;
  model: string;
  route: string;
  /** Calls whose output was evaluated (sampled). */
  evaluated: number;
  /** Mean quality score of the evaluated calls that got one. */
  meanScore: number | undefined;
  evaluations: Record<string, EvaluatorCounts>;
  feedback: { count: number; meanScore: number | undefined; labels: Record<string, number> };
  groundTruth: { count: number; correct: number; accuracy: number | undefined };
}

export class GroupStats {
  usd = 0;
  estimatedUsd = 0;
  pricedCalls = 0;
  unknownCostCalls = 0;
  evaluated = 0;
  scored = 0;
  scoreSum = 0;
  readonly evaluations: Record<string, Omit<EvaluatorCounts, 'failRate'>> = {};
  feedbackCount = 0;
  feedbackScored = 0;
  feedbackSum = 0;
  readonly labels: Record<string, number> = {};
  truthCount = 0;
  truthCorrect = 0;

  constructor(
    readonly provider: string,
    readonly model: string,
    readonly route: string,
  ) {}

  addCost(cost: CallCost): void {
    if (cost.usd === undefined) {
      this.unknownCostCalls++;
      return;
    }
    this.usd += cost.usd;
    if (cost.tokens === 'estimated') this.estimatedUsd += cost.usd;
    this.pricedCalls++;
  }

  addQuality(quality: CallQuality): void {
    this.evaluated++;
    if (quality.score !== undefined) {
      this.scored++;
      this.scoreSum += quality.score;
    }
    for (const name of Object.keys(quality.evaluations)) {
      const result: EvaluationResult = quality.evaluations[name];
      let counts = this.evaluations[name];
      if (counts === undefined) this.evaluations[name] = counts = { pass: 0, fail: 0, error: 0, timeout: 0 };
      counts[result]++;
    }
  }

  addFeedback(score: number | undefined, label: string | undefined): void {
    this.feedbackCount++;
    if (score !== undefined) {
      this.feedbackScored++;
      this.feedbackSum += score;
    }
    if (label !== undefined) this.labels[label] = (this.labels[label] ?? 0) + 1;
  }

  addGroundTruth(correct: boolean): void {
    this.truthCount++;
    if (correct) this.truthCorrect++;
  }

  costSnapshot(): CostGroupSnapshot {
    const { provider, model, route, usd, estimatedUsd, pricedCalls, unknownCostCalls } = this;
    return { provider, model, route, usd, estimatedUsd, pricedCalls, unknownCostCalls };
  }

  qualitySnapshot(): QualityGroupSnapshot {
    const evaluations: Record<string, EvaluatorCounts> = {};
    for (const [name, c] of Object.entries(this.evaluations)) {
      const judged = c.pass + c.fail;
      evaluations[name] = { ...c, failRate: judged > 0 ? c.fail / judged : undefined };
    }
    return {
      provider: this.provider,
      model: this.model,
      route: this.route,
      evaluated: this.evaluated,
      meanScore: this.scored > 0 ? this.scoreSum / this.scored : undefined,
      evaluations,
      feedback: {
        count: this.feedbackCount,
        meanScore: this.feedbackScored > 0 ? this.feedbackSum / this.feedbackScored : undefined,
        labels: { ...this.labels },
      },
      groundTruth: {
        count: this.truthCount,
        correct: this.truthCorrect,
        accuracy: this.truthCount > 0 ? this.truthCorrect / this.truthCount : undefined,
      },
    };
  }

  /** Has anything to show in the quality section. */
  hasQuality(): boolean {
    return this.evaluated > 0 || this.feedbackCount > 0 || this.truthCount > 0;
  }

  hasCost(): boolean {
    return this.pricedCalls > 0 || this.unknownCostCalls > 0;
  }
}

export function costSnapshot(groups: Iterable<GroupStats>): CostSnapshot {
  const out: CostSnapshot = { usd: 0, estimatedUsd: 0, pricedCalls: 0, unknownCostCalls: 0, pricesCheckedAt: PRICES_CHECKED_AT, groups: [] };
  for (const g of groups) {
    if (!g.hasCost()) continue;
    out.usd += g.usd;
    out.estimatedUsd += g.estimatedUsd;
    out.pricedCalls += g.pricedCalls;
    out.unknownCostCalls += g.unknownCostCalls;
    out.groups.push(g.costSnapshot());
  }
  return out;
}
