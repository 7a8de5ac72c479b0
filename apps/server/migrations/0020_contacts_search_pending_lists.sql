-- The contacts' trigram indexes (migration 0015, where pg_trgm exists) keep short pending lists, as the
-- messages' do: an inbound message updates its contact, so the lists grew to the default 4 MB, which
-- every inbox search read in full and whose flush stalled the inbound batch that overfilled it. Set in
-- place (no rebuild); what is pending now is merged into the index at once.
DO $$
DECLARE
  idx text;
BEGIN
  FOREACH idx IN ARRAY ARRAY['contacts_name_trgm_idx', 'contacts_wa_id_trgm_idx'] LOOP
    IF to_regclass(idx) IS NOT NULL THEN
      EXECUTE format('ALTER INDEX %I SET (gin_pending_list_limit = 128)', idx);
      PERFORM gin_clean_pending_list(to_regclass(idx));
    END IF;
  END LOOP;
END $$;
