/* One plugin descriptor, broken in the one way the BROKEN_* define picks,
 * so test_plugin_loader can check that each is refused for its reason. */
#include <stddef.h>

#include <acmehook/plugin.h>

/* Each variant leaves some of these unused. */
#define UNUSED __attribute__((unused))

UNUSED static int broken_init(const struct ah_host *host, void **state)
{
	*state = NULL;
	return AH_OK;
}

UNUSED static int broken_call(void *state, const struct ah_challenge *ch)
{
	return AH_DECLINE;
}

UNUSED static void broken_fini(void *state)
{
}

UNUSED static const struct ah_plugin broken_plugin = {
#ifdef BROKEN_BAD_MAGIC
	.magic = 0xdeadbeefu,
#else
	.magic = AH_PLUGIN_MAGIC,
#endif
#ifdef BROKEN_ABI2
	.abi_major = 2,
#else
	.abi_major = AH_ABI_MAJOR,
#endif
	.abi_minor = AH_ABI_MINOR,
#ifdef BROKEN_SMALL_SIZE
	.struct_size = offsetof(struct ah_plugin, init),
#else
	.struct_size = sizeof(struct ah_plugin),
#endif
#if defined(BROKEN_DUP)
	.name = "dup",
#elif defined(BROKEN_BAD_NAME)
	.name = "Bad_Name",
#else
	.name = BROKEN_ID,
#endif
	.version = "0",
	.description = "broken on purpose: " BROKEN_ID,
	.roles = AH_ROLE_AUTHENTICATOR,
	.challenges = AH_CHALLENGE_HTTP_01,
#ifndef BROKEN_NO_INIT
	.init = broken_init,
#endif
	.present = broken_call,
#ifndef BROKEN_NO_CLEANUP
	.cleanup = broken_call,
#endif
	.fini = broken_fini,
};

#ifdef BROKEN_NO_ENTRY
/* Exported, but under a name no v1 host looks for. */
AH_EXPORT const struct ah_plugin *acmehook_plugin_v0(void);
AH_EXPORT const struct ah_plugin *acmehook_plugin_v0(void)
{
	return &broken_plugin;
}
#else
AH_EXPORT const struct ah_plugin *acmehook_plugin_v1(void)
{
#ifdef BROKEN_NULL_ENTRY
	return NULL;
#else
	return &broken_plugin;
#endif
}
#endif
