/* The V8 heap settings every page thread gets: the pool's (thread-pool.ts) and the benchmark's bare ceiling threads (bench/peers/ceiling.ts), so the two compare the same threads. */

/**
 * Young-generation heap per thread. Extraction allocates a DOM per page and drops it: with
 * V8's default a thread runs a scavenge every 2–3 corpus pages (0.41 a page), at 64 MB every
 * 5 (0.20), at 128 MB every 10 (0.10; V8's GCProfiler in the thread, 360 warm pages a run).
 * A scavenge costs about what the page in hand keeps alive, whatever the size, so fewer of them
 * is less work, and less work for V8's parallel GC helpers, which compete with the other
 * thread for the cores. At 64 MB a corpus run took about 10% less CPU than at V8's default
 * (4.4–4.6 s against 4.8–5.5 s for 270 pages on 2 threads). On short phases 128 MB showed no
 * change in CPU a page, or in two threads against one, that this shared 2-core machine could
 * tell (1.63× against 1.54× at 64 MB and 1.60× at V8's default over quiet 2 s phases; `npm
 * run bench:thread-scaling -- --young 0,64,128 --runs 7 --cycles 8`,
 * bench/results/thread-scaling.txt). Over a long run it does: the 2,000-line offline job
 * (the corpus repeated, `--provider extractive --no-cache`, default settings, so 2 threads)
 * took 6% less CPU at 128 MB than at 64 (paired ratios 0.87–1.01 over six rounds run in
 * turn with `--strategy async`; the helpers' CPU 8.0–8.4 s against 9.2–10.0 s, the threads'
 * 27–28 s against 28–30 s), for a peak RSS of 600 MB against 430 (about 90 MB more a
 * thread); 256 MB took no less CPU than 128 and peaked at 1 GB. `npm run bench -- --workload
 * job --runs 3` (bench/job-probe.ts) reports that job's CPU with the defaults and with
 * `--strategy async`: run it at each value to re-measure.
 * Worker threads take it as `resourceLimits.maxYoungGenerationSizeMb`: V8 flags such as
 * `--max-semi-space-size` in a Worker's execArgv are refused (ERR_WORKER_INVALID_EXEC_ARGV,
 * Node 20).
 */
export const WORKER_YOUNG_GENERATION_MB = 128
