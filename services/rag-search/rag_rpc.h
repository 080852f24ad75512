/*
 * rag_rpc: rpc.rag.search — tool-router's question (getKnowledgeBase, Vapi's
 * knowledge-base-request) answered from this replica's memory
 * (RagSearchRequest / RagSearchReply, proto/voxanne/v1/rag.proto).
 *
 * Who may ask: only tool-router may publish rpc.rag.search
 * (deploy/nats/users.conf), and it asks with the org it resolved from the
 * call, so the org id is believed because the bus authenticated the asker.
 * The subject is outside rpc.kb.> (the owner's routes, signed by the
 * gateway), so no gateway request can reach this handler.
 *
 * One queue subscription served by RAG_WORKERS threads from one line
 * (libcommon/vx_sub_pool: a question never waits behind another's embedding
 * while a thread is free), each with its own analyzer: a search takes no
 * lock but the registry's short read lock.
 */
#ifndef RAG_SEARCH_RAG_RPC_H
#define RAG_SEARCH_RAG_RPC_H

#include <nats/nats.h>

#include "embed/embedder.h"
#include "index/registry.h"
#include "search.h"

#define RAG_RPC_SUBJECT "rpc.rag.search"

#define RAG_RPC_MAX_THREADS 16

typedef struct rag_rpc_server rag_rpc_server;

/* Serves rpc.rag.search on nc with threads threads (1..RAG_RPC_MAX_THREADS).
 * Not owned: reg, e (may be NULL), cfg. NULL (logged) on failure. */
rag_rpc_server *rag_rpc_server_start(kb_registry *reg, embedder *e, const search_config *cfg, natsConnection *nc, size_t threads);
void rag_rpc_server_stop(rag_rpc_server *srv);    /* drains: questions received are answered */
void rag_rpc_server_destroy(rag_rpc_server *srv); /* stops if needed, frees */

/* Answers one request (packed RagSearchRequest) into a packed RagSearchReply
 * (malloc'd, *out_len bytes): the handler without the bus, for tests. */
void rag_rpc_answer(kb_registry *reg, analyzer *a, embedder *e, const search_config *cfg, const void *data, size_t len, void **out,
                    size_t *out_len);

#endif
