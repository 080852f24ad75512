/*
 * rag-search: the knowledge base of each org, searched mid-call. Wiring only
 * (being built on this branch).
 */
#include "vx_log.h"

int main(void)
{
    vx_log_init("rag-search");
    return 1;
}
