/**
 * The time-series detector: for regularly sampled metrics (an exported p95 latency per minute, CPU
 * every 5 minutes; the default of `llm-vitals backtest`), where consecutive values are correlated,
 * days repeat, and the series has its own idea of what a normal burst looks like.
 *
 * - Two forecasts of each value: the level model, an AR(1) around a slowly followed level,
 *   ŷ = μ + φ (y₋₁ - μ) (φ the lag-1 autocorrelation, followed over `memory`), and the seasonal
 *   model, the value one day earlier (the period in observations from the timestamps' spacing, when
 *   a day is 4 to 5,000 of them and the warm-up holds a day and more). The model whose surprises have
 *   been lower lately is used (the seasonal one needs to be 20% better, so a non-seasonal series
 *   stays with the level model), except that a value the other model forecasts more closely is
 *   judged by that model: a value either forecast explains is not an anomaly. Once the pattern window
 *   (below) holds a week, a value nearer to last week's at this time is judged by that nearer error.
 * - Surprise L = -ln p of the forecast error, standardised by the model's own error scale (a robust
 *   mean absolute error followed over 4 × `memory`).
 * - The point statistic is also ranked by the error's size on the fixed scale of the warm-up, against
 *   the history of such sizes, and the lower of the two counts: as the error scale narrows after a
 *   noisy start, the same daily spike is more standard errors away each day and would be a new
 *   record of surprise, while its size says it is not new.
 * - The point statistic (this value's surprise) has half the false-alarm budget (`tuning.pointShare`);
 *   the window statistics share the other half:
 *   - the mean surprise of the last 30 values (series-models.ts: spikes getting denser, a noisier
 *     stretch, a level shift), each value's surprise from the model that forecast it more closely;
 *   - the shift window (series-shift.ts): the last 30 values ranked among the 1,000 before them, for a
 *     slow drift the forecasts follow value by value;
 *   - on a seasonal series, the pattern window (series-pattern.ts): the last eighth of a day compared
 *     with the same hours a day and a week earlier, for a change of shape within the day's range (a
 *     level shift smaller than the daily swing, a holiday), which the forecasts follow step by step.
 *   After a level or range alert the shift and pattern windows start again on the new level's side:
 *   one incident, one alert.
 * - Each goes through the likelihood stage (calibration.ts): compared with this series' own history
 *   of such surprises, so a series with daily bursts does not alert on every burst. The warm-up is
 *   replayed through the models once they are fitted, so the history starts with the warm-up's. A
 *   window's statistic enters its history only once the window has slid past it, so it is compared
 *   with windows that share none of its values.
 * - Out of range: a value beyond every value seen since the start by more than 5% of their range (the
 *   "spatial anomaly" rule of NAB's HTM detector) and one standard deviation around the level, or, on a
 *   series positive since its start, under a fifth of its smallest value (an outage), scores 1 (reason
 *   `range`) whatever the models say: a level the series has never been near is news even when the
 *   recent values lead to it. Such a value, and each window holding it, teaches the statistics'
 *   histories that its level was reached but not their tails' slope: one wild value would otherwise
 *   flatten a tail so far that later incidents below it read as ordinary.
 *
 * Score and alerting as every detector (detector.ts). The ideas: Numenta's HTM anomaly likelihood
 * (Ahmad et al. 2017) for the short-window average of surprises against their long-run distribution,
 * seasonal-naive and AR(1) forecasting (Hyndman & Athanasopoulos, "Forecasting: Principles and
 * Practice", §5.2 and §9.3). On NAB's subset it scores what bench/results/detect.md reports.
 */
import { SurpriseCalibrator, type Teach } from './calibration.js';
import { detectorOptionFailure, StreamingDetector, type AlertReason, type DetectorOptions } from './detector.js';
import { logTailFor } from './robust-z.js';
import { ErrorScale, levelStart, MEAN_AD_TO_SD, nearerRatio, seasonalPeriod, seasonalScale, SurpriseWindow, type LevelStart } from './series-models.js';
import { PatternStatistic } from './series-pattern.js';
import { ShiftStatistic } from './series-shift.js';
import { resolveTuning, type SeriesTuning } from './series-tuning.js';

export { SERIES_TUNING, type SeriesTuning } from './series-tuning.js';

export interface SeriesOptions extends DetectorOptions {
  /**
   * The seasonal period in observations; `daily` (the default) derives it from the spacing of the
   * timestamps given to `update`; `false` turns the seasonal model off.
   */
  period?: number | 'daily' | false;
  /**
   * The detector's own constants (below, `SERIES_TUNING`), for refitting them on other data: the NAB
   * leave-one-category-out folds choose them on the training categories (bench/nab-baselines/run.mjs).
   */
  tuning?: Partial<SeriesTuning>;
}

const CALIBRATION_HORIZON = 100_000;
const RANGE_SDS_EARLY = 2;

export class SeriesDetector extends StreamingDetector {
  readonly name: string = 'series';
  private readonly logScale: boolean;
  private readonly logOffset: number;
  private readonly periodOption: number | 'daily' | false;
  private readonly rate: number;
  private readonly scaleRate: number;
  private readonly lnBudget: number;
  /** The point statistic's budget (nats) over the window statistics' own: a window surprise's weight. */
  private windowFactor = 1;
  // Warm-up
  private warm: number[] = [];
  private warmTimes: number[] = [];
  private ready = false;
  // Level model
  private level = 0;
  private spreadVariance = 1;
  private spreadSd = 1;
  private covariance = 0;
  private phi = 0;
  private previous = 0;
  private readonly levelError: ErrorScale;
  // Seasonal model
  private period = 0;
  private season = new Float64Array(0);
  private seasonIndex = 0;
  private seasonError: ErrorScale | undefined;
  private levelSurprise = 0.7;
  private seasonSurprise = 0.7;
  // Mean-surprise window
  private readonly tuning: SeriesTuning;
  private readonly meanWindow: SurpriseWindow;
  private readonly pointCalibrator: SurpriseCalibrator;
  /** The history of the point errors' sizes, as surprises on the fixed scale of the warm-up. */
  private readonly sizeCalibrator: SurpriseCalibrator;
  private readonly shift: ShiftStatistic | undefined;
  private pattern: PatternStatistic | undefined;
  private sizeScale = 1;
  private lastForecast = NaN;
  private time = NaN;
  // The range of every value seen since the start (working scale)
  private min = Infinity;
  private max = -Infinity;
  /** The smallest value seen while every value has been positive (original scale); -∞ once one is not. */
  private positiveMin = Infinity;
  /** Values seen since the warm-up ended. */
  private seen = 0;
  /** Values since the latest one the range rule reported (counted up to the widest window's width). */
  private sinceReported = Infinity;
  /** The widest window statistic's width, once the warm-up is fitted (it holds the pattern window's). */
  private reportSpan = 0;

  constructor(options?: SeriesOptions) {
    super(options, ['period', 'tuning']);
    const tuning = (this.tuning = resolveTuning(options?.tuning));
    this.meanWindow = new SurpriseWindow(tuning.window, CALIBRATION_HORIZON, tuning.tailShare);
    this.pointCalibrator = new SurpriseCalibrator(CALIBRATION_HORIZON, 0, tuning.tailShare);
    this.sizeCalibrator = new SurpriseCalibrator(CALIBRATION_HORIZON, 0, tuning.tailShare);
    const period = options?.period ?? 'daily';
    if (!(period === 'daily' || period === false || (Number.isInteger(period) && period >= 2 && period <= 100_000))) {
      detectorOptionFailure('period', '"daily", false or an integer from 2 to 100000', period);
    }
    this.periodOption = period;
    this.logScale = this.options.scale === 'log';
    this.logOffset = this.options.logOffset;
    this.rate = 2 / (this.options.memory + 1);
    this.scaleRate = 2 / (4 * this.options.memory + 1);
    this.levelError = new ErrorScale(this.scaleRate);
    if (tuning.shiftWindow > 0) this.shift = new ShiftStatistic(tuning.shiftWindow, tuning.shiftHistory, CALIBRATION_HORIZON, tuning.tailShare, !this.logScale);
    this.lnBudget = -Math.log(this.options.falseAlarmRate * tuning.pointShare);
  }

  /**
   * The point statistic has `tuning.pointShare` of the false-alarm budget, the window statistics the rest
   * equally. A window surprise is scaled to the point statistic's budget: one ratio says which is further past its own.
   */
  private shareBudget(): number {
    const windows = 1 + (this.shift === undefined ? 0 : 1) + (this.pattern === undefined ? 0 : 1);
    return this.lnBudget / -Math.log((this.options.falseAlarmRate * (1 - this.tuning.pointShare)) / windows);
  }

  override update(value: number, timestampMs?: number): ReturnType<StreamingDetector['update']> {
    this.time = timestampMs ?? NaN;
    return super.update(value, timestampMs);
  }

  expected(): number | undefined {
    if (!this.ready || this.lastForecast !== this.lastForecast) return undefined;
    return this.logScale ? Math.exp(this.lastForecast) - this.logOffset : this.lastForecast;
  }

  protected spread(): number | undefined {
    if (!this.ready) return undefined;
    const seasonal = this.seasonError !== undefined && this.seasonSurprise < this.tuning.seasonalAdvantage * this.levelSurprise;
    return seasonal ? this.seasonError!.scale : this.levelError.scale;
  }

  protected evidence(value: number): number {
    const y = this.logScale ? Math.log((value > 0 ? value : 0) + this.logOffset) : value;
    const min = this.min;
    const max = this.max;
    const positiveMin = this.positiveMin;
    if (value < positiveMin) this.positiveMin = value > 0 ? value : -Infinity;
    if (y < min) this.min = y;
    if (y > max) this.max = y;
    if (!this.ready) {
      this.warm.push(y);
      this.warmTimes.push(this.time);
      if (this.warm.length < this.options.warmup) return -1;
      this.fit();
      return -1;
    }
    // Beyond the range by 5% of it (`tuning.rangeTolerance`) and by one standard deviation of the series
    // around its level (as it was before this value): on a stationary series the range's records come
    // ever rarer, and one a short warm-up's narrow range would call out (2.5σ after 60 values) is not news.
    const byRange = this.tuning.rangeTolerance * (max - min);
    const w = this.options.warmup;
    const early = this.seen < w ? 1 + (RANGE_SDS_EARLY - 1) * (1 - this.seen / w) : 1;
    this.seen++;
    const bySd = early * this.spreadSd;
    const tolerance = byRange > bySd ? byRange : bySd;
    const direction = this.options.direction;
    // A series positive since its start that falls below a share of its smallest value has fallen
    // towards 0 (an outage: requests, tokens, throughput), which the linear rule cannot see when the
    // tolerance reaches below 0 (`tuning.floorRatio`, 0 = off).
    const outOfRange =
      (max > min && ((direction !== 'down' && y > max + tolerance) || (direction !== 'up' && y < min - tolerance))) ||
      (direction !== 'up' && this.tuning.floorRatio > 0 && value < this.tuning.floorRatio * positiveMin);
    // An out-of-range value is reported by the range rule: its surprise is counted as having happened
    // but does not set the slope of the statistics' tails (one huge spike would stretch them so far
    // that a level shift later, big but within the range the spike made, scores under the budget).
    const reported = outOfRange && !this.cooling;
    if (reported) this.sinceReported = 0;
    else if (this.sinceReported < this.reportSpan) this.sinceReported++;
    const surprise = this.step(y, reported ? 'levels' : 'all');
    if (outOfRange) {
      this.reason = 'range';
      return Infinity;
    }
    return surprise / this.lnBudget;
  }

  /** One value through the models: their updates, and the surprise in nats after calibration. */
  private step(y: number, teach: Teach = 'all'): number {
    const direction = this.options.direction;
    const forecastLevel = this.level + this.phi * (this.previous - this.level);
    const levelZ = (y - forecastLevel) / this.levelError.scale;
    let z = levelZ;
    let forecast = forecastLevel;
    let closest = levelZ;
    let closestError = y - forecastLevel;
    const seasonError = this.seasonError;
    // The model is chosen on the surprises before this value: the value itself must not vote.
    const seasonal = seasonError !== undefined && this.seasonSurprise < this.tuning.seasonalAdvantage * this.levelSurprise;
    this.levelSurprise += this.scaleRate * (Math.min(50, -logTailFor('both', levelZ)) - this.levelSurprise);
    if (seasonError !== undefined) {
      const forecastSeason = this.season[this.seasonIndex];
      const seasonZ = (y - forecastSeason) / seasonError.scale;
      if ((seasonZ < 0 ? -seasonZ : seasonZ) < (levelZ < 0 ? -levelZ : levelZ)) {
        closest = seasonZ;
        closestError = y - forecastSeason;
      }
      this.seasonSurprise += this.scaleRate * (Math.min(50, -logTailFor('both', seasonZ)) - this.seasonSurprise);
      seasonError.follow(y - forecastSeason);
      this.season[this.seasonIndex] = y;
      this.seasonIndex = this.seasonIndex + 1 === this.period ? 0 : this.seasonIndex + 1;
      // The chosen model's surprise, unless the other model explains the value better: a value one of
      // the two forecasts expects (yesterday's spike at this time, a level the day never had before
      // but the recent values have) is not an anomaly.
      if (seasonal || (seasonZ < 0 ? -seasonZ : seasonZ) < (levelZ < 0 ? -levelZ : levelZ)) {
        z = seasonZ;
        forecast = forecastSeason;
      }
    }
    // Last week's value at this time, nearer than the forecast that judged this one, judges it on that
    // model's scale (so does it for the window): the forecasts know a day, and a weekend is no news.
    const week = this.pattern === undefined ? NaN : this.pattern.weekAgo();
    if (week === week) {
      const ratio = nearerRatio(y - week, y - forecast);
      if (ratio !== 1) {
        z *= ratio;
        forecast = week;
      }
      closest *= nearerRatio(y - week, closestError);
    }
    this.lastForecast = forecast;
    this.levelError.follow(y - forecastLevel);
    this.followLevel(y);

    const surprise = -logTailFor(direction, z);
    let best = this.pointCalibrator.calibrate(surprise, teach);
    // An error of a size this series has often shown is not an anomaly, however many of today's
    // standard errors it is (the error scale narrows after a noisy start: the same daily spike would
    // become a new record of surprise every day).
    const size = this.sizeCalibrator.rarity(-logTailFor(direction, (y - forecast) / this.sizeScale), teach);
    if (size < best) best = size;
    let reason: AlertReason = 'point';
    // The window adds up the surprise of whichever model explains each value better: a stretch that
    // one of them expects (the day's noisy hours, which the seasonal model reads as large errors and
    // the level model as ordinary steps) is not a burst.
    // A window that holds a value the range rule reported teaches its level, not the tail's slope, as
    // that value does the point statistics (each window by its own width).
    const windowed = closest === z ? surprise : -logTailFor(direction, closest);
    const windowSurprise = this.windowFactor * this.meanWindow.update(windowed, this.sinceReported < this.meanWindow.width ? 'levels' : 'all');
    if (windowSurprise > best) {
      best = windowSurprise;
      reason = z >= 0 ? 'level_up' : 'level_down';
    }
    const pattern = this.pattern;
    if (pattern !== undefined) {
      const patternSurprise = this.windowFactor * pattern.update(y, this.sinceReported < pattern.width ? 'levels' : 'all');
      if (patternSurprise > best) {
        best = patternSurprise;
        reason = pattern.up ? 'level_up' : 'level_down';
      }
    }
    const shift = this.shift;
    if (shift !== undefined) {
      const shiftSurprise = this.windowFactor * shift.update(y, direction, this.sinceReported < shift.width ? 'levels' : 'all');
      if (shiftSurprise > best) {
        best = shiftSurprise;
        reason = shift.z >= 0 ? 'level_up' : 'level_down';
      }
    }
    this.reason = reason;
    return best;
  }

  /** The slow level, the spread around it and the lag-1 autocorrelation (Huber-clipped). */
  private followLevel(y: number): void {
    const d = y - this.level;
    // The level moves by at most 3 forecast errors per value: a spike barely moves it.
    const step = 3 * this.levelError.scale;
    this.level += this.rate * (d > step ? step : d < -step ? -step : d);
    const limit = 3 * this.spreadSd;
    const dc = d > limit ? limit : d < -limit ? -limit : d;
    const p = this.previous - this.level;
    const pc = p > limit ? limit : p < -limit ? -limit : p;
    this.covariance += this.rate * (dc * pc - this.covariance);
    this.spreadVariance += this.rate * (dc * dc - this.spreadVariance);
    this.spreadSd = Math.max(Math.sqrt(this.spreadVariance), 1e-12);
    const phi = this.covariance / this.spreadVariance;
    this.phi = phi > 0.98 ? 0.98 : phi > 0 ? phi : 0;
    this.previous = y;
  }

  private fit(): void {
    const w = this.warm;
    const n = w.length;
    const start = levelStart(w);
    this.period = seasonalPeriod(this.periodOption, this.warmTimes);
    if (this.period > 0) this.seasonError = new ErrorScale(this.scaleRate, seasonalScale(w, this.period));
    const seasonScale = this.seasonError?.scale ?? 1;
    // Replay the warm-up through the fitted models so the calibrators start with its surprises; then
    // start the models from the fit again, with the last day of the warm-up as the seasonal forecast.
    this.ready = true;
    this.sizeScale = start.levelScale;
    const first = this.period > 0 ? this.period : 1;
    if (this.period > 0 && this.tuning.patternSpan > 0) {
      // The seasonal error's scale (a standard deviation of the day-to-day difference) as a mean absolute one.
      const pattern = new PatternStatistic(this.period, Math.max(4, Math.round(this.period * this.tuning.patternSpan)), CALIBRATION_HORIZON, this.tuning.tailShare, this.scaleRate, seasonScale / MEAN_AD_TO_SD);
      // The warm-up's first day, which the replay below skips (it is the first seasonal forecast).
      for (let i = 0; i < first; i++) pattern.update(w[i], 'all');
      this.pattern = pattern;
    }
    // Both depend on the statistics this fit turned on; nothing reads them before it.
    this.windowFactor = this.shareBudget();
    this.reportSpan = Math.max(this.meanWindow.width, this.shift?.width ?? 0, this.pattern?.width ?? 0);
    this.restartModels(start, seasonScale, w.slice(0, first));
    for (let i = first; i < n; i++) this.step(w[i]);
    this.restartModels(start, seasonScale, w.slice(n - first));
    this.warm = [];
    this.warmTimes = [];
  }

  private restartModels(start: LevelStart, seasonScale: number, lastDay: number[]): void {
    this.level = start.level;
    this.spreadVariance = start.spreadVariance;
    this.spreadSd = Math.sqrt(start.spreadVariance);
    this.covariance = start.covariance;
    this.phi = Math.max(0, Math.min(0.98, start.covariance / start.spreadVariance));
    this.levelError.scale = start.levelScale;
    this.previous = lastDay[lastDay.length - 1];
    if (this.seasonError !== undefined) {
      this.season = Float64Array.from(lastDay);
      this.seasonIndex = 0;
      this.seasonError.scale = seasonScale;
    }
  }

  /**
   * A level or range alert says the level has moved: the shift window's reference starts again from
   * the new level, or the move would read as news until the old level had left the reference, one
   * alert per cooldown; the pattern window waits until yesterday is on this side of the move. A point
   * alert (one odd value) leaves both.
   */
  protected alerted(reason: AlertReason): void {
    if (reason === 'point') return;
    this.shift?.rebase();
    this.pattern?.rebase();
  }

  protected restart(): void {
    this.ready = false;
    this.warm = [];
    this.warmTimes = [];
    this.period = 0;
    this.seasonError = undefined;
    this.levelSurprise = this.seasonSurprise = 0.7;
    this.meanWindow.reset();
    this.pointCalibrator.reset();
    this.sizeCalibrator.reset();
    this.shift?.reset();
    this.pattern = undefined;
    this.lastForecast = NaN;
    this.min = Infinity;
    this.positiveMin = Infinity;
    this.max = -Infinity;
    this.seen = 0;
    this.sinceReported = Infinity;
  }
}
