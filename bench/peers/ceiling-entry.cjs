// From source only: the ceiling's thread entry. Node 20 does not apply the `--import tsx`
// hooks to a worker's own entry file or to an import() it makes at once
// (ERR_UNKNOWN_FILE_EXTENSION); a require() from a plain CommonJS entry goes through tsx's
// require hook. From dist/ the thread loads ceiling-worker.js directly.
require(require('node:worker_threads').workerData.entry)
