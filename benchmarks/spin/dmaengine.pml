/*
 * dmaengine transfer termination, variant terminate_sync -- a Promela transcription of
 * spec/dmaengine.kspec for the side-by-side benchmark (benchmarks/spin_vs_kspec.py,
 * issue 7 item 5).
 *
 * Configuration: -DC=<channels> (1..8), -DD=<descriptors per channel> (1..4).
 * REISSUE = 0, as in the kspec runs. Only the terminate_sync variant is transcribed.
 * Run:  spin -a -o2 -DC=3 -DD=2 dmaengine.pml && gcc -O2 -DSAFETY -DNOREDUCE -o pan pan.c
 *       && ./pan -m1000000
 * -o2 keeps write-only variables (ghosts such as cb_during_sync, read only by kspec's
 * `reachable` witnesses) in the state vector and -DNOREDUCE disables partial-order
 * reduction: with both, pan stores exactly the states kspec stores (checked by
 * benchmarks/spin_vs_kspec.py for every configuration both complete).
 *
 * STATE. One global per kspec slot (per channel c), so the reachable state spaces are
 * isomorphic: ndone, ngrab, ncomp, nissued, hw, term, cut, sync_caller, cb_during_sync;
 * alive/refs of cb_param[c] and buffer[c]; cpc[c] = pc(client[c]); kpc[c] = pc(tasklet[c]);
 * the owners and irq modes of vc_lock[c] and cl_lock[c] (free / mode 0 in every state,
 * since every spinlock section is inside one step, as in kspec). Processes: client[c]
 * (_pid c), tasklet[c] (_pid C+c) and hw[c] (_pid 2C+c, the three hardirq actions of
 * channel c). Every Promela process sits at its loop head in every state: its own control
 * state never changes, the kspec program counters are the cpc/kpc variables.
 *
 * STEPS. Each kspec step is one `d_step { guard -> body }` option (one transition, no
 * intermediate state); where kspec splits a step into several transitions by its
 * `if`/`either` branches, the d_step branches inside or has one option per `either`
 * branch, with the same successor states:
 *   C_TERM      cl_lock and vc_lock free: terminate_async (ncomp = nissued = cut = ngrab,
 *               ACTIVE -> STOPPING, term TERMINATING), then synchronize: sync_caller PROC,
 *               quiet -> term QUIESCED, C_FREE; else C_SYNC_WAIT
 *   C_SYNC_WAIT quiet -> term QUIESCED, C_FREE
 *   C_FREE      E3_free_only_when_safe; free cb_param and buffer -> C_RELEASE
 *   C_RELEASE   quiet -> term QUIESCED, E8 -> DONE
 *   K_GRAB      vc_lock free: ngrab = ncomp; -> DONE if nothing grabbed, else K_INVOKE
 *   K_INVOKE    cl_lock free (and vc_lock free for the second option): E1, E6, E3 asserts,
 *               cb_during_sync; either nothing or terminate_async from the callback;
 *               ndone++; -> K_INVOKE / K_GRAB / DONE
 *   hw_complete hw ACTIVE and vc_lock free: ncomp++, IDLE when all issued completed,
 *               start tasklet (restart from DONE or IDLE, no-op while it runs)
 *   hw_access   hw != IDLE: E2, E3_hw_buffer_alive (a self-loop: no update)
 *   hw_stopped  hw STOPPING: ACTIVE if descriptors remain, else IDLE
 * C_ISSUE, C_SYNC, C_AGAIN and K_CB_SYNC_WAIT do not exist in / are unreachable in
 * terminate_sync with REISSUE = 0 and are left out.
 *
 * PROPERTIES (all hold in terminate_sync): the step asserts E1, E2, E3_callback_param_alive,
 *   E3_hw_buffer_alive (= use_after_free on use()), E3_free_only_when_safe, E6, E8,
 *   double_free, free_while_referenced, range (ndone/ncomp <= D), lock_held_at_exit;
 *   invariants desc_lists_ordered, E4, E5 and leak, asserted at the end of every step;
 *   deadlock: when nothing is enabled (`timeout`), every client is DONE and every tasklet
 *   DONE or IDLE.
 * DIFFERENCES from kspec: as in tidspbridge.pml -- checks that kspec fires on a blocked
 *   attempt (lock_recursion, sleep_in_atomic on might_sleep) are left out (they hold
 *   trivially: no lock is held between steps); lockdep and `reachable` witnesses are not
 *   checked; invariants are evaluated once per fired transition, not once per state.
 */

#ifndef C
#define C 1
#endif
#ifndef D
#define D 1
#endif

#define FREE 255

/* enum Hw, Term, Ctx */
#define HW_IDLE 0
#define HW_ACTIVE 1
#define HW_STOPPING 2
#define RUNNING 0
#define TERMINATING 1
#define QUIESCED 2
#define CTX_NONE 0
#define CTX_PROC 1

/* pc(client[c]) */
#define C_TERM 0
#define C_FREE 1
#define C_RELEASE 2
#define C_SYNC_WAIT 3
#define C_DONE 5
/* pc(tasklet[c]) */
#define K_GRAB 0
#define K_INVOKE 1
#define K_DONE 3
#define K_IDLE 4

byte ndone[C];
byte ngrab[C];
byte ncomp[C];
byte nissued[C] = D;
byte hw[C] = HW_ACTIVE;
byte term[C];
byte cut[C] = D;
byte sync_caller[C];
bool cb_during_sync[C];
bool alive_cb[C] = 1;
byte refs_cb[C];
bool alive_buf[C] = 1;
byte refs_buf[C];
byte cpc[C];
byte kpc[C] = K_IDLE;
byte vc_lock[C] = FREE;
byte vc_mode[C];
byte cl_lock[C] = FREE;
byte cl_mode[C];

hidden byte c;   /* scratch: the channel of the running step */

#define quiet(x) (kpc[x] >= K_DONE && hw[x] != HW_STOPPING)

/* Quantifiers unrolled to exactly C channels / D descriptors (no `for` inside d_step). */
#if C == 1
#define ALL_C(P) (P(0))
#elif C == 2
#define ALL_C(P) (P(0) && P(1))
#elif C == 3
#define ALL_C(P) (P(0) && P(1) && P(2))
#elif C == 4
#define ALL_C(P) (P(0) && P(1) && P(2) && P(3))
#elif C == 5
#define ALL_C(P) (P(0) && P(1) && P(2) && P(3) && P(4))
#elif C == 6
#define ALL_C(P) (P(0) && P(1) && P(2) && P(3) && P(4) && P(5))
#elif C == 7
#define ALL_C(P) (P(0) && P(1) && P(2) && P(3) && P(4) && P(5) && P(6))
#elif C == 8
#define ALL_C(P) (P(0) && P(1) && P(2) && P(3) && P(4) && P(5) && P(6) && P(7))
#else
#error "C must be 1..8"
#endif
#if D == 1
#define ALL_D(P, x) (P(x, 0))
#elif D == 2
#define ALL_D(P, x) (P(x, 0) && P(x, 1))
#elif D == 3
#define ALL_D(P, x) (P(x, 0) && P(x, 1) && P(x, 2))
#elif D == 4
#define ALL_D(P, x) (P(x, 0) && P(x, 1) && P(x, 2) && P(x, 3))
#else
#error "D must be 1..4"
#endif

#define ORDERED(x) ((ndone[x] <= ngrab[x] && ngrab[x] <= ncomp[x] && ncomp[x] <= nissued[x]))
#define E4(x) (sync_caller[x] == CTX_NONE || sync_caller[x] == CTX_PROC)
#define DONE_BELOW_CUT(x, d) (!(d < ndone[x]) || d < cut[x])
#define E5(x) (ALL_D(DONE_BELOW_CUT, x))
#define QUIESCENT(x) ((cpc[x] >= C_DONE && kpc[x] >= K_DONE))
#define NO_LEAK(x) (((!alive_cb[x] || refs_cb[x] == 0) && (!alive_buf[x] || refs_buf[x] == 0)))
#define INV assert(ALL_C(ORDERED)); assert(ALL_C(E4)); assert(ALL_C(E5)); \
            assert(!ALL_C(QUIESCENT) || ALL_C(NO_LEAK))
#define DESC_DONE(x, d) (d < ndone[x])

/* terminate_async body (device_terminate_all under vc.lock), channel c */
#define TERMINATE \
  vc_lock[c] = me; vc_mode[c] = 2; \
  ncomp[c] = ngrab[c]; nissued[c] = ngrab[c]; cut[c] = ngrab[c]; \
  if :: hw[c] == HW_ACTIVE -> hw[c] = HW_STOPPING :: else -> skip fi; \
  term[c] = TERMINATING; \
  vc_lock[c] = FREE; vc_mode[c] = 0

#define me _pid

active [C] proctype client()
{
end:
  do
  :: d_step { cpc[me] == C_TERM && cl_lock[me] == FREE && vc_lock[me] == FREE ->
       c = me;
       cl_lock[c] = me; cl_mode[c] = 1; cl_lock[c] = FREE; cl_mode[c] = 0;
       TERMINATE;
       sync_caller[c] = CTX_PROC;
       if
       :: quiet(c) -> term[c] = QUIESCED; cpc[c] = C_FREE
       :: else -> cpc[c] = C_SYNC_WAIT
       fi;
       INV }
  :: d_step { cpc[me] == C_FREE ->
       c = me;
       assert(term[c] == QUIESCED || ALL_D(DESC_DONE, c));
       assert(alive_cb[c] && refs_cb[c] == 0); alive_cb[c] = 0; refs_cb[c] = 0;
       assert(alive_buf[c] && refs_buf[c] == 0); alive_buf[c] = 0; refs_buf[c] = 0;
       cpc[c] = C_RELEASE; INV }
  :: d_step { cpc[me] == C_RELEASE && quiet(me) ->
       c = me; term[c] = QUIESCED; assert(quiet(c));
       assert(vc_lock[c] != me && cl_lock[c] != me);
       cpc[c] = C_DONE; INV }
  :: d_step { cpc[me] == C_SYNC_WAIT && quiet(me) ->
       c = me; term[c] = QUIESCED; cpc[c] = C_FREE; INV }
  /* deadlock at a terminal state (a self-loop, adds no state) */
  :: d_step { timeout && me == 0 -> assert(ALL_C(QUIESCENT)) }
  od
}

#define KME (_pid - C)
/* K_INVOKE: the callback, then ndone++ and the loop of vchan_complete */
#define INVOKE_HEAD \
  c = KME; \
  assert(term[c] != QUIESCED); assert(vc_lock[c] != _pid); \
  assert(alive_cb[c]); \
  if :: cpc[c] == C_SYNC_WAIT -> cb_during_sync[c] = 1 :: else -> skip fi; \
  cl_lock[c] = _pid; cl_lock[c] = FREE
#define INVOKE_TAIL \
  assert(ndone[c] + 1 <= D); ndone[c] = ndone[c] + 1; \
  if \
  :: ndone[c] < ngrab[c] -> kpc[c] = K_INVOKE \
  :: else -> \
       if \
       :: ncomp[c] > ngrab[c] -> kpc[c] = K_GRAB \
       :: else -> assert(vc_lock[c] != _pid && cl_lock[c] != _pid); kpc[c] = K_DONE \
       fi \
  fi; \
  INV

active [C] proctype tasklet()
{
end:
  do
  :: d_step { kpc[KME] == K_GRAB && vc_lock[KME] == FREE ->
       c = KME;
       vc_lock[c] = _pid; vc_mode[c] = 2;
       ngrab[c] = ncomp[c];
       vc_lock[c] = FREE; vc_mode[c] = 0;
       if
       :: ndone[c] == ngrab[c] -> assert(cl_lock[c] != _pid); kpc[c] = K_DONE
       :: else -> kpc[c] = K_INVOKE
       fi;
       INV }
  :: d_step { kpc[KME] == K_INVOKE && cl_lock[KME] == FREE ->
       INVOKE_HEAD; INVOKE_TAIL }
  :: d_step { kpc[KME] == K_INVOKE && cl_lock[KME] == FREE && vc_lock[KME] == FREE ->
       INVOKE_HEAD; TERMINATE; INVOKE_TAIL }
  od
}

#define HME (_pid - 2 * C)

active [C] proctype hw_actions()
{
end:
  do
  /* hw_complete(c) */
  :: d_step { hw[HME] == HW_ACTIVE && vc_lock[HME] == FREE ->
       c = HME;
       vc_lock[c] = _pid;
       assert(ncomp[c] + 1 <= D); ncomp[c] = ncomp[c] + 1;
       if :: ncomp[c] == nissued[c] -> hw[c] = HW_IDLE :: else -> skip fi;
       if :: kpc[c] >= K_DONE -> kpc[c] = K_GRAB :: else -> skip fi;
       vc_lock[c] = FREE; vc_mode[c] = 0;
       assert(cl_lock[c] != _pid);
       INV }
  /* hw_access(c) */
  :: d_step { hw[HME] != HW_IDLE ->
       c = HME;
       assert(term[c] != QUIESCED); assert(alive_buf[c]);
       assert(vc_lock[c] != _pid && cl_lock[c] != _pid);
       INV }
  /* hw_stopped(c) */
  :: d_step { hw[HME] == HW_STOPPING ->
       c = HME;
       if :: ncomp[c] < nissued[c] -> hw[c] = HW_ACTIVE :: else -> hw[c] = HW_IDLE fi;
       assert(vc_lock[c] != _pid && cl_lock[c] != _pid);
       INV }
  od
}
