-- How many comparisons a trainer could still be given in a project, counting no further than
-- p_up_to (NULL counts them all): `labeler.queue.comparisons_waiting_count` on PostgreSQL, which
-- the ranking page asks on every request for its "left in the queue".
--
-- The rule is the one of `labeler.queue.comparisons_open_to` and `ranklab_open_to_trainer`
-- (test_queue_rules keeps the three in step), written for a walk over many rows: the trainer's
-- own comparisons are one set, hashed once, not an anti-join whose plan rests on an estimate of
-- how many they are (with the estimate of a trainer who had ranked nothing at the last ANALYZE,
-- that join walked all of them again for every comparison). PL/pgSQL keeps the statement's plan
-- for the life of the connection, so a request pays neither the ORM's building of the query
-- nor the planner.
--
-- This file is installed by a migration and never edited once it has landed: a change is a new
-- waiting_count_vN.sql and a migration that installs it (test_lease_function checks that the
-- database runs the newest file).

CREATE OR REPLACE FUNCTION ranklab_waiting_count(
  p_project bigint,
  p_trainer bigint,
  p_overlap integer,
  p_up_to integer
) RETURNS integer
LANGUAGE plpgsql STABLE
AS $$
DECLARE
  v_now timestamptz := clock_timestamp();
  v_count integer;
BEGIN
  SELECT count(*) INTO v_count FROM (
    SELECT 1 FROM labeler_comparison c
    WHERE c.project_id = p_project AND c.status = 'ready'
      AND c.rankings_count + (
        SELECT count(*) FROM labeler_assignment a
        WHERE a.comparison_id = c.id AND a.status = 'active' AND a.expires_at > v_now
      ) < p_overlap
      AND c.id NOT IN (
        SELECT s.comparison_id FROM labeler_assignment s
        WHERE s.trainer_id = p_trainer
          AND (s.status IN ('submitted', 'skipped') OR (s.status = 'active' AND s.expires_at > v_now))
      )
    LIMIT p_up_to
  ) open;
  RETURN v_count;
END;
$$;
