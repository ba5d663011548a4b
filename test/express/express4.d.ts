/** `express4` is Express 4 installed under an alias (`npm:express@4`) for the middleware tests; it has no types of its own, and the API those tests use is the same as Express 5's. */
declare module 'express4' {
  import express from 'express';
  export default express;
}
