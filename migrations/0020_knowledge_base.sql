-- The knowledge base (issue 14): each org's documents and their chunks,
-- searched mid-call by rag-search.
--
-- Who writes what: rag-search alone (ARCHITECTURE "Ownership of data"; the
-- issue names the tables kb_documents and kb_chunks).
--   An upload inserts the document (status 'indexing') and all its chunks,
--   without vectors, in one transaction: keyword search (BM25) finds the
--   text as soon as the replicas reload it. A background worker of any
--   replica then claims the document (claimed_until, a lease, so a replica
--   that dies leaves it to the others), embeds its chunks batch by batch and
--   marks it 'ready' with the model its vectors were made with. A change of
--   embedder makes every document whose embedding_model differs due again:
--   the old vectors serve until the new ones replace them, so answers never
--   stop (a vector is only ever compared with vectors of its own model).
--
-- Every replica keeps every org's chunks in memory. What tells it to reload:
-- a NOTIFY on voxanne_kb_changed (statement triggers below, one per
-- transaction) and then a diff of (id, version) of every document
-- (kb_documents_versions): a changed version is reloaded, a missing
-- document dropped. The diff also repairs whatever a replica missed while
-- its listening connection was down.

CREATE TABLE kb_documents (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id           uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    content_type     text NOT NULL CHECK (content_type IN ('text/plain', 'text/markdown', 'application/pdf')),
    byte_size        integer NOT NULL CHECK (byte_size > 0),
    -- Of the uploaded bytes: the same file uploaded twice is one document.
    sha256           text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    status           text NOT NULL DEFAULT 'indexing' CHECK (status IN ('indexing', 'ready', 'failed')),
    -- Why a document failed, for the owner (never a key or a provider's raw answer).
    detail           text CHECK (length(detail) BETWEEN 1 AND 500),
    chunk_count      integer NOT NULL CHECK (chunk_count >= 0),
    characters       integer NOT NULL CHECK (characters >= 0),
    -- The model the chunks' vectors were made with; NULL until the first embedding.
    embedding_model  text CHECK (length(embedding_model) BETWEEN 1 AND 100),
    -- Bumped by every change a replica must reload (kb_documents_bump below).
    version          bigint NOT NULL DEFAULT 1,
    -- The embedding worker's lease: while in the future, another replica leaves the document alone.
    claimed_until    timestamptz,
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, sha256),
    -- For kb_chunks' composite key: a chunk belongs to its document's org.
    UNIQUE (id, org_id)
);
CREATE INDEX kb_documents_org_created_idx ON kb_documents (org_id, created_at DESC, id DESC);

CREATE TABLE kb_chunks (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id           uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    document_id      uuid NOT NULL,
    ordinal          integer NOT NULL CHECK (ordinal >= 0),
    -- The headings above the chunk ("Prices > Whitening"), searched with it:
    -- up to six levels of 120 characters each (ingest/chunker.h).
    heading          text NOT NULL DEFAULT '' CHECK (length(heading) <= 1000),
    content          text NOT NULL CHECK (length(content) BETWEEN 1 AND 4000),
    -- Little-endian float32 × embedding_dim, L2-normalised; NULL until embedded.
    embedding        bytea,
    embedding_model  text,
    embedding_dim    integer CHECK (embedding_dim BETWEEN 1 AND 4096),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (document_id, ordinal),
    FOREIGN KEY (document_id, org_id) REFERENCES kb_documents (id, org_id) ON DELETE CASCADE,
    CONSTRAINT kb_chunks_embedding_whole CHECK (
        (embedding IS NULL) = (embedding_model IS NULL) AND (embedding IS NULL) = (embedding_dim IS NULL)
        AND (embedding IS NULL OR length(embedding) = 4 * embedding_dim))
);

SELECT make_tenant_table(t) FROM unnest(ARRAY['kb_documents', 'kb_chunks']::regclass[]) AS t;

-- A replica reloads a document when its version moves: on every update but
-- the worker's lease renewals and attempt counters (which change nothing it
-- serves).
CREATE FUNCTION kb_documents_bump() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF (NEW.status, NEW.embedding_model, NEW.title, NEW.chunk_count)
       IS DISTINCT FROM (OLD.status, OLD.embedding_model, OLD.title, OLD.chunk_count) THEN
        NEW.version := OLD.version + 1;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER kb_documents_version BEFORE UPDATE ON kb_documents
    FOR EACH ROW EXECUTE FUNCTION kb_documents_bump();

-- One notification per transaction (PostgreSQL folds equal ones), sent at commit.
CREATE FUNCTION notify_kb_changed() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('voxanne_kb_changed', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER kb_documents_changed_notify AFTER INSERT OR UPDATE OR DELETE ON kb_documents
    FOR EACH STATEMENT EXECUTE FUNCTION notify_kb_changed();
CREATE TRIGGER kb_documents_truncated_notify AFTER TRUNCATE ON kb_documents
    FOR EACH STATEMENT EXECUTE FUNCTION notify_kb_changed();

-- The replicas' diff: every document's org, id and version — ids and
-- numbers only; each document's chunks are then read under its org's claims.
CREATE FUNCTION kb_documents_versions() RETURNS TABLE (org_id uuid, id uuid, version bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT d.org_id, d.id, d.version FROM kb_documents d
$$;

-- The embedding worker's look-up: documents whose chunks lack vectors of
-- p_model (new ones, or all of them after a change of embedder), not leased
-- by another replica and due, oldest first. Org and document ids only.
CREATE FUNCTION kb_documents_due(p_model text, p_max integer) RETURNS TABLE (org_id uuid, id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT d.org_id, d.id FROM kb_documents d
    WHERE d.status <> 'failed' AND d.embedding_model IS DISTINCT FROM p_model
      AND coalesce(d.claimed_until, '-infinity') < now()
      AND coalesce(d.next_attempt_at, '-infinity') <= now()
    ORDER BY d.created_at, d.id
    LIMIT p_max
$$;

ALTER FUNCTION kb_documents_versions() OWNER TO voxanne_janitor;
ALTER FUNCTION kb_documents_due(text, integer) OWNER TO voxanne_janitor;
GRANT SELECT (org_id, id, version, status, embedding_model, claimed_until, next_attempt_at, created_at) ON kb_documents
    TO voxanne_janitor;
CREATE POLICY janitor_read ON kb_documents FOR SELECT TO voxanne_janitor USING (true);
REVOKE ALL ON FUNCTION kb_documents_versions() FROM PUBLIC;
REVOKE ALL ON FUNCTION kb_documents_due(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kb_documents_versions() TO voxanne_app;
GRANT EXECUTE ON FUNCTION kb_documents_due(text, integer) TO voxanne_app;
