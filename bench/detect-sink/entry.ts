// The detector sink and its options resolver, bundled on their own for bench/detect-sink-instructions.mjs.
export { DetectorSink } from '../../src/detect/sink.js';
export { resolveDetectOptions } from '../../src/detect/options.js';
