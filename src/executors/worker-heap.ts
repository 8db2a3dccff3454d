/* The V8 heap settings every page thread gets: the pool's (thread-pool.ts) and the benchmark's bare ceiling threads (bench/peers/ceiling.ts), so the two compare the same threads. */

/**
 * Young-generation heap per thread. Extraction allocates a DOM per page and drops it: with
 * V8's default a thread runs a scavenge every 2–3 corpus pages (0.41 a page), at 64 MB every
 * 5 (0.20; V8's GCProfiler in the thread, 360 warm pages a run). At 64 MB a corpus run took
 * about 10% less CPU here (4.4–4.6 s against 4.8–5.5 s for 270 pages on 2 threads). 128 MB
 * halves the scavenges again (0.10 a page) with no change in CPU a page, or in two threads
 * against one, that this shared 2-core machine could tell (1.63× against 1.54× at 64 MB and
 * 1.60× at V8's default over quiet 2 s phases; `npm run bench:thread-scaling -- --young
 * 0,64,128 --runs 7 --cycles 8`, bench/results/thread-scaling.txt). Over a long run, little:
 * the 2,000-line offline job (corpus pages, `--provider extractive --no-cache`, default
 * settings, so 2 threads), each size run in turn with `--strategy async` in one process, took
 * 0.87–1.03× the CPU at 128 MB over ten rounds (mean 0.96; 0.99 over the four that ran two
 * builds rather than one build switched by an environment variable; V8's GC helper threads
 * 0.6–1.7 s less, the pool's threads up to as much more), for a peak RSS of 600–620 MB
 * against 420; 256 MB peaked at 1 GB for no less CPU. Not worth 90 MB more a thread. `npm run bench -- --workload job --runs 3`
 * (bench/job-probe.ts) reports that job's CPU with the defaults and with `--strategy async`.
 * Worker threads take it as `resourceLimits.maxYoungGenerationSizeMb`: V8 flags such as
 * `--max-semi-space-size` in a Worker's execArgv are refused (ERR_WORKER_INVALID_EXEC_ARGV,
 * Node 20).
 */
export const WORKER_YOUNG_GENERATION_MB = 64
