-- The trainer's lease as one PostgreSQL call: one round trip instead of ten.
--
-- v3: the project's queue order (p_order). 'oldest' is v2's order. 'informative' walks the
-- index comparison_ready_score_idx: the highest labeler_comparison.queue_score first (how much
-- the next ranking is expected to change the consensus, kept by the rankings app), then the
-- oldest; first among comparisons nobody holds a live lease on, then among all. It has no
-- window: nothing sorts this trainer's own waiting comparisons to one end of that order, so a
-- window could hide open work behind them; each walk stops at the first open row.
-- v2: a trainer their lead paused (labeler_membership.paused_at) takes nothing. The check reads
-- the membership row under the lock the lease already took, the lock a pause takes too, so a
-- pause and a lease never cross.
-- The new parameter makes a new signature: the migration that installs this file drops v2's.
--
-- `ranklab_lease_next` does on the server what `labeler.queue._lease_step_by_step` does from
-- Python with the ORM (and still does on SQLite): lock the trainer's membership row, hand back
-- their live lease, mark their lapsed ones expired, claim the best open comparison with
-- FOR UPDATE SKIP LOCKED (in the project's order: oldest first takes partly ranked ones within
-- the preference window first, so they complete first, then the oldest fresh ones), count its leases again and insert the lease
-- with the candidates shuffled. A VOLATILE function takes a fresh snapshot for each
-- statement, so the recount after the lock sees every lease committed by a trainer who held
-- that row before. PL/pgSQL keeps each statement's plan for the life of the connection.
--
-- The queue's rule is `ranklab_open_to_trainer`, the SQL twin of `labeler.queue.comparisons_open_to`
-- (test_queue_rules keeps the two in step). The claims call it only on the rows of their index
-- walks, up to the first open one, so a call per row costs little.
--
-- This file is installed by a migration and never edited once it has landed: a change of the
-- rule is a new lease_next_vN.sql and a migration that installs it (test_lease_function checks
-- that the database runs the newest file). The INSERT names its columns: a migration that adds
-- a column to labeler_assignment without a database default needs a new version too.

CREATE OR REPLACE FUNCTION ranklab_open_to_trainer(
  p_comparison bigint,
  p_rankings_count integer,
  p_trainer bigint,
  p_overlap integer,
  p_now timestamptz
) RETURNS boolean
LANGUAGE sql STABLE
AS $$
  SELECT p_rankings_count + (
      SELECT count(*) FROM labeler_assignment a
      WHERE a.comparison_id = p_comparison AND a.status = 'active' AND a.expires_at > p_now
    ) < p_overlap
    AND NOT EXISTS (
      SELECT 1 FROM labeler_assignment s
      WHERE s.comparison_id = p_comparison AND s.trainer_id = p_trainer
        AND (s.status IN ('submitted', 'skipped') OR (s.status = 'active' AND s.expires_at > p_now))
    )
$$;

CREATE OR REPLACE FUNCTION ranklab_lease_next(
  p_project bigint,
  p_trainer bigint,
  p_overlap integer,
  p_lease_minutes integer,
  p_window integer,
  p_retries integer,
  p_soft_commit boolean,
  p_order text
) RETURNS SETOF labeler_assignment
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_now timestamptz;
  v_lease labeler_assignment;
  v_comparison bigint;
  v_open boolean;
  v_passed bigint[] := '{}';
  v_paused timestamptz;
BEGIN
  IF p_soft_commit THEN
    -- A lease is soft state: losing it in a crash only hands the comparison out again.
    PERFORM set_config('synchronous_commit', 'off', true);
  END IF;
  -- One claim at a time per trainer: a double click must not take two comparisons.
  SELECT m.paused_at INTO v_paused FROM labeler_membership m
  WHERE m.project_id = p_project AND m.user_id = p_trainer FOR UPDATE;
  IF v_paused IS NOT NULL THEN
    RETURN;
  END IF;
  v_now := clock_timestamp();

  SELECT a.* INTO v_lease
  FROM labeler_assignment a JOIN labeler_comparison c ON c.id = a.comparison_id
  WHERE a.trainer_id = p_trainer AND a.status = 'active' AND a.expires_at > v_now
    AND c.project_id = p_project AND c.status = 'ready'
  ORDER BY a.started_at
  LIMIT 1;
  IF FOUND THEN
    RETURN NEXT v_lease;
    RETURN;
  END IF;

  -- Lapsed leases already count as gone; marking them lets a new lease on the same
  -- comparison be the trainer's one active row there.
  UPDATE labeler_assignment a SET status = 'expired', finished_at = v_now
  FROM labeler_comparison c
  WHERE c.id = a.comparison_id AND a.trainer_id = p_trainer AND a.status = 'active'
    AND a.expires_at <= v_now AND c.project_id = p_project AND c.status = 'ready';

  FOR attempt IN 1..p_retries LOOP
    IF p_order = 'informative' THEN
      -- A live lease is a ranking on its way, which the score does not know of yet: trainers
      -- asking at once spread over the head of the order instead of piling onto its first row.
      SELECT c.id INTO v_comparison
      FROM labeler_comparison c
      WHERE c.project_id = p_project AND c.status = 'ready' AND c.id <> ALL (v_passed)
        AND NOT EXISTS (
          SELECT 1 FROM labeler_assignment a
          WHERE a.comparison_id = c.id AND a.status = 'active' AND a.expires_at > v_now
        )
        AND ranklab_open_to_trainer(c.id, c.rankings_count, p_trainer, p_overlap, v_now)
      ORDER BY c.queue_score DESC, c.created_at, c.id
      LIMIT 1 FOR UPDATE OF c SKIP LOCKED;

      IF v_comparison IS NULL THEN
        SELECT c.id INTO v_comparison
        FROM labeler_comparison c
        WHERE c.project_id = p_project AND c.status = 'ready' AND c.id <> ALL (v_passed)
          AND ranklab_open_to_trainer(c.id, c.rankings_count, p_trainer, p_overlap, v_now)
        ORDER BY c.queue_score DESC, c.created_at, c.id
        LIMIT 1 FOR UPDATE OF c SKIP LOCKED;
      END IF;
    ELSE
      -- Materialised, so the window is taken first and the rest of the index is never walked.
      WITH head AS MATERIALIZED (
        SELECT w.id FROM labeler_comparison w
        WHERE w.project_id = p_project AND w.status = 'ready' AND w.rankings_count > 0
        ORDER BY w.rankings_count DESC, w.created_at, w.id
        LIMIT p_window
      )
      SELECT c.id INTO v_comparison
      FROM head JOIN labeler_comparison c ON c.id = head.id
      WHERE c.status = 'ready' AND c.id <> ALL (v_passed)
        AND ranklab_open_to_trainer(c.id, c.rankings_count, p_trainer, p_overlap, v_now)
      ORDER BY c.rankings_count DESC, c.created_at, c.id
      LIMIT 1 FOR UPDATE OF c SKIP LOCKED;

      IF v_comparison IS NULL THEN
        SELECT c.id INTO v_comparison
        FROM labeler_comparison c
        WHERE c.project_id = p_project AND c.status = 'ready' AND c.rankings_count = 0
          AND c.id <> ALL (v_passed)
          AND ranklab_open_to_trainer(c.id, c.rankings_count, p_trainer, p_overlap, v_now)
        ORDER BY c.rankings_count DESC, c.created_at, c.id
        LIMIT 1 FOR UPDATE OF c SKIP LOCKED;
      END IF;
    END IF;

    IF v_comparison IS NULL THEN
      -- Rows locked by other trainers were skipped; if open work remains, ask again.
      IF NOT EXISTS (
        SELECT 1 FROM labeler_comparison c
        WHERE c.project_id = p_project AND c.status = 'ready' AND c.id <> ALL (v_passed)
          AND ranklab_open_to_trainer(c.id, c.rankings_count, p_trainer, p_overlap, v_now)
      ) THEN
        RETURN;
      END IF;
      PERFORM pg_sleep(0.002 + random() * 0.018);
      CONTINUE;
    END IF;

    -- The recount, in a statement of its own: its snapshot is newer than the lock.
    SELECT ranklab_open_to_trainer(c.id, c.rankings_count, p_trainer, p_overlap, v_now) INTO v_open
    FROM labeler_comparison c WHERE c.id = v_comparison AND c.status = 'ready';
    IF NOT coalesce(v_open, false) THEN
      v_passed := v_passed || v_comparison;
      CONTINUE;
    END IF;

    INSERT INTO labeler_assignment
      (comparison_id, trainer_id, status, display_order, skip_reason, started_at, expires_at)
    SELECT v_comparison, p_trainer, 'active', coalesce(jsonb_agg(x.id ORDER BY random()), '[]'::jsonb), '',
      v_now, v_now + make_interval(mins => p_lease_minutes)
    FROM labeler_candidate x WHERE x.comparison_id = v_comparison
    RETURNING * INTO v_lease;
    RETURN NEXT v_lease;
    RETURN;
  END LOOP;
  RETURN;
END;
$$;
