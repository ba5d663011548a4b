/**
 * CAD OSE, the Contextual Anomaly Detector, open-source edition (Mikhail Smirnov, 2016,
 * github.com/smirmik/CAD; entered in NAB as `nab/detectors/context_ose/`):
 *
 * - Each value is quantised to 3 bits over the file's range (NAB hands every detector its min and max);
 *   each bit is a "fact".
 * - A context pairs a left set of facts (the previous step's facts plus the ids of the contexts that
 *   were active then, as "neuron" facts) with a right set (the current facts). Contexts are learned as
 *   they are seen, and new ones are formed by crossing existing ones with the input.
 * - A context whose left part fully matched the previous step and whose right part fully matches now is
 *   active; the 15 most often active become the next step's neuron facts. The contexts with the best
 *   record predict the next step's facts.
 * - Score, when some fact was not predicted: (1 − share of selected contexts that are active + share of
 *   potential new contexts that were new) / 2; 0 for `restPeriod` (P/5) rows after any score ≥ 0.75.
 *
 * The reference is Python 2, and its choices of which 15 contexts win ties and in what order new
 * contexts are numbered follow Python 2's tuple hashes and dict order; both are reproduced here
 * (pyTupleHash, PyIntDict), as is Python's `False == 0` in skipping the newest zero-level context.
 */
import { probationLength } from '../detect-nab.mjs';

const M64 = (x) => BigInt.asIntN(64, x);

/** Python 2's hash of a tuple of (non-negative, word-sized) ints, as a signed 64-bit BigInt. */
export function pyTupleHash(items) {
  let x = 0x345678n;
  let mult = 1000003n;
  let len = items.length;
  for (const item of items) {
    len--;
    x = M64((x ^ BigInt(item)) * mult);
    mult = M64(mult + 82520n + BigInt(len + len));
  }
  x = M64(x + 97531n);
  return x === -1n ? -2n : x;
}

/** A Python 2 dict with small non-negative int keys: setdefault and iteration in Python's slot order. */
class PyIntDict {
  constructor() {
    this.keys = new Array(8).fill(undefined);
    this.values = new Array(8);
    this.used = 0;
    this.index = new Map();
  }

  #slot(keys, key) {
    const mask = keys.length - 1;
    let i = key & mask;
    if (keys[i] === undefined) return i;
    let perturb = key;
    for (;;) {
      i = (i * 5 + perturb + 1) % 4294967296;
      const slot = i & mask;
      if (keys[slot] === undefined) return slot;
      perturb = Math.floor(perturb / 32);
    }
  }

  setdefault(key, value) {
    if (this.index.has(key)) return this.index.get(key);
    const slot = this.#slot(this.keys, key);
    this.keys[slot] = key;
    this.values[slot] = value;
    this.index.set(key, value);
    this.used++;
    // Python 2.7: resize when fill * 3 >= (mask + 1) * 2, to the smallest power of two above 4 × used.
    if (this.used * 3 >= this.keys.length * 2) {
      let size = 8;
      while (size <= 4 * this.used) size *= 2;
      const keys = new Array(size).fill(undefined);
      const values = new Array(size);
      for (let s = 0; s < this.keys.length; s++) {
        if (this.keys[s] === undefined) continue;
        const t = this.#slot(keys, this.keys[s]);
        keys[t] = this.keys[s];
        values[t] = this.values[s];
      }
      this.keys = keys;
      this.values = values;
    }
    return value;
  }

  *entries() {
    for (let s = 0; s < this.keys.length; s++) if (this.keys[s] !== undefined) yield [this.keys[s], this.values[s]];
  }
}

class ContextOperator {
  constructor(maxLeftSemiContextsLength) {
    this.maxLeft = maxLeftSemiContextsLength;
    this.factsDics = [new Map(), new Map()];
    this.semiContextDics = [new Map(), new Map()];
    this.semiContValLists = [[], []];
    this.crossedSemiContextsLists = [[], []];
    this.contexts = [];
    this.newContextID = false;
  }

  getContextByFacts(newContexts, zeroLevel = false) {
    let added = 0;
    for (const [leftFacts, rightFacts] of newContexts) {
      const leftHash = pyTupleHash(leftFacts);
      const rightHash = pyTupleHash(rightFacts);
      let leftID = this.semiContextDics[0].get(leftHash);
      if (leftID === undefined) {
        leftID = this.semiContextDics[0].size;
        this.semiContextDics[0].set(leftHash, leftID);
        const semi = { facts: [], length: leftFacts.length, crossed: 0, contexts: new PyIntDict() };
        this.semiContValLists[0].push(semi);
        for (const fact of leftFacts) {
          if (!this.factsDics[0].has(fact)) this.factsDics[0].set(fact, []);
          this.factsDics[0].get(fact).push(semi);
        }
      }
      let rightID = this.semiContextDics[1].get(rightHash);
      if (rightID === undefined) {
        rightID = this.semiContextDics[1].size;
        this.semiContextDics[1].set(rightHash, rightID);
        const semi = { facts: [], length: rightFacts.length, crossed: 0 };
        this.semiContValLists[1].push(semi);
        for (const fact of rightFacts) {
          if (!this.factsDics[1].has(fact)) this.factsDics[1].set(fact, []);
          this.factsDics[1].get(fact).push(semi);
        }
      }
      const next = this.contexts.length;
      const contextID = this.semiContValLists[0][leftID].contexts.setdefault(rightID, next);
      if (contextID === next) {
        added++;
        this.contexts.push({ selected: 0, matched: 0, active: 0, rightFacts, zeroLevel, leftHash, rightHash });
        if (zeroLevel) {
          this.newContextID = contextID;
          return true;
        }
      } else if (zeroLevel) {
        this.contexts[contextID].zeroLevel = true;
        return false;
      }
    }
    return added;
  }

  #cross(side, facts) {
    for (const semi of this.crossedSemiContextsLists[side]) {
      semi.facts = [];
      semi.crossed = 0;
    }
    for (const fact of facts) for (const semi of this.factsDics[side].get(fact) ?? []) semi.facts.push(fact);
    const crossed = [];
    for (const semi of this.semiContValLists[side]) {
      semi.crossed = semi.facts.length;
      if (semi.crossed > 0) crossed.push(semi);
    }
    return crossed;
  }

  /** Right side: cross the current facts, update the contexts, return the active ones. */
  crossRight(facts, newContextFlag) {
    this.crossedSemiContextsLists[1] = this.#cross(1, facts);
    const active = [];
    let selected = 0;
    const potential = [];
    for (const left of this.crossedSemiContextsLists[0]) {
      for (const [rightID, contextID] of left.contexts.entries()) {
        // Python: `self.newContextID != contextID` with newContextID False skips context 0 (False == 0).
        if ((this.newContextID === false ? 0 : this.newContextID) === contextID) continue;
        const context = this.contexts[contextID];
        const right = this.semiContValLists[1][rightID];
        if (left.length === left.crossed) {
          selected++;
          context.selected += right.length;
          if (right.crossed > 0) {
            context.matched += right.crossed;
            if (right.length === right.crossed) {
              context.active++;
              active.push([contextID, context.active, context.leftHash, context.rightHash]);
            } else if (context.zeroLevel && newContextFlag && left.crossed <= this.maxLeft) {
              potential.push([left.facts.slice(), right.facts.slice()]);
            }
          }
        } else if (context.zeroLevel && newContextFlag && right.crossed > 0 && left.crossed <= this.maxLeft) {
          potential.push([left.facts.slice(), right.facts.slice()]);
        }
      }
    }
    this.newContextID = false;
    return { active, selected, potential };
  }

  /** Left side: learn the potential contexts, cross the new left facts, return the predicted facts. */
  crossLeft(facts, potential) {
    const added = potential.length > 0 ? this.getContextByFacts(potential) : 0;
    let best = 0;
    let predicting = [];
    for (const semi of this.crossedSemiContextsLists[0]) {
      semi.facts = [];
      semi.crossed = 0;
    }
    for (const fact of facts) for (const semi of this.factsDics[0].get(fact) ?? []) semi.facts.push(fact);
    const crossed = [];
    for (const semi of this.semiContValLists[0]) {
      semi.crossed = semi.facts.length;
      if (semi.crossed === 0) continue;
      crossed.push(semi);
      if (semi.length !== semi.crossed) continue;
      for (const [, contextID] of semi.contexts.entries()) {
        const context = this.contexts[contextID];
        const weight = context.selected > 0 ? context.matched / context.selected : 0;
        if (weight > best) {
          best = weight;
          predicting = [context];
        } else if (weight === best) {
          predicting.push(context);
        }
      }
    }
    this.crossedSemiContextsLists[0] = crossed;
    const predictions = new Set();
    for (const context of predicting) for (const fact of context.rightFacts) predictions.add(fact);
    return { added, predictions };
  }
}

export const defaults = { baseThreshold: 0.75, maxLeftSemiContextsLength: 7, maxActiveNeurons: 15, valueBits: 3 };

const compareActive = (a, b) => (a[1] !== b[1] ? a[1] - b[1] : a[2] !== b[2] ? (a[2] < b[2] ? -1 : 1) : a[3] < b[3] ? -1 : a[3] > b[3] ? 1 : 0);

export function cadOse(values, options = {}) {
  const { baseThreshold, maxLeftSemiContextsLength, maxActiveNeurons, valueBits } = { ...defaults, ...options };
  const rows = values.length;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  // NAB hands the detector its probationary period (15% of the rows, at most 750) and CAD OSE rests a fifth
  // of it after an alarm; without the cap (an earlier version here) files over 5,000 rows rested longer.
  const restPeriod = Math.trunc(probationLength(rows) / 5);
  const maxBinValue = 2 ** valueBits - 1;
  const range = max - min === 0 ? maxBinValue : max - min;
  const step = range / maxBinValue;
  const operator = new ContextOperator(maxLeftSemiContextsLength);
  let leftFactsGroup = [];
  let lastPredicted = new Set();
  const history = [1];
  const scores = new Float64Array(rows);

  const stepFacts = (sensFacts) => {
    const uniquePotential = new Set();
    let newContextFlag = false;
    if (leftFactsGroup.length > 0 && sensFacts.length > 0) {
      uniquePotential.add(`${leftFactsGroup}|${sensFacts}`);
      newContextFlag = operator.getContextByFacts([[leftFactsGroup, sensFacts]], true);
    }
    const { active, selected, potential } = operator.crossRight(sensFacts, newContextFlag);
    for (const [l, r] of potential) uniquePotential.add(`${l}|${r}`);
    const shareActive = selected > 0 ? active.length / selected : 0;
    active.sort(compareActive);
    const neurons = active.slice(-maxActiveNeurons).map((a) => 2 ** 31 + a[0]);
    leftFactsGroup = [...new Set([...sensFacts, ...neurons])].sort((a, b) => a - b);
    let { added, predictions } = operator.crossLeft(leftFactsGroup, potential);
    if (newContextFlag) added++;
    const shareAdded = newContextFlag && uniquePotential.size > 0 ? added / uniquePotential.size : 0;
    return { predictions, shareActive, shareAdded };
  };

  for (let r = 0; r < rows; r++) {
    const level = Math.trunc((values[r] - min) / step);
    const bits = level.toString(2).padStart(valueBits, '0');
    const facts = [];
    for (let s = 0; s < bits.length; s++) facts.push(65536 + s * 2 + (bits[bits.length - 1 - s] === '1' ? 1 : 0));
    const sensFacts = [...new Set(facts)].sort((a, b) => a - b);
    let missed = 0;
    for (const fact of sensFacts) if (!lastPredicted.has(fact)) missed += 2 ** Math.floor((fact - 65536) / 2);
    const { predictions, shareActive, shareAdded } = stepFacts(sensFacts);
    lastPredicted = predictions;
    const current = missed > 0 ? (1 - shareActive + shareAdded) / 2 : 0;
    const recent = restPeriod > 0 ? history.slice(-restPeriod) : history;
    scores[r] = Math.max(...recent) < baseThreshold ? current : 0;
    history.push(current);
  }
  return scores;
}
