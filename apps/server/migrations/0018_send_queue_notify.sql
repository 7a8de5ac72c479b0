-- Sends put on the queue wake the senders of every process at once (LISTEN openwaba_send_queued), so a
-- reply or a started campaign does not wait for the next idle poll. One notification per statement;
-- notifications of one transaction are delivered, once, at its commit.
CREATE OR REPLACE FUNCTION "openwaba_send_queued"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('openwaba_send_queued', '');
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "send_queue_notify" AFTER INSERT ON "send_queue" FOR EACH STATEMENT EXECUTE FUNCTION "openwaba_send_queued"();
