#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmocka_all.h"
#include "mail/maildir.h"

static size_t count(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_deliver_and_state(void **state)
{
	char base[] = "/tmp/mk-maildir.XXXXXX", md[128], p[256];
	struct mk_error err;
	uint64_t uv = 9, last = 9;
	struct stat st;
	FILE *fp;
	char buf[64];

	(void)state;
	assert_non_null(mkdtemp(base));
	snprintf(md, sizeof(md), "%s/Mail", base);
	assert_int_equal(mk_maildir_init(md, &err), 0);
	for (int i = 0; i < 50; i++)
		assert_int_equal(mk_maildir_deliver(md, "Subject: x\r\n\r\nbody\r\n", 21, &err), 0);
	snprintf(p, sizeof(p), "%s/new", md);
	assert_int_equal(count(p), 50); /* unique names */
	snprintf(p, sizeof(p), "%s/tmp", md);
	assert_int_equal(count(p), 0);
	snprintf(p, sizeof(p), "%s/state", base);
	assert_int_equal(mk_maildir_state_load(p, &uv, &last, &err), 0);
	assert_true(uv == 0 && last == 0);
	assert_int_equal(mk_maildir_state_save(p, 1234, 77, &err), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(mk_maildir_state_load(p, &uv, &last, &err), 0);
	assert_true(uv == 1234 && last == 77);
	fp = fopen(p, "w");
	fputs("garbage\n", fp);
	fclose(fp);
	assert_int_equal(mk_maildir_state_load(p, &uv, &last, &err), -1);
	assert_int_equal(err.cls, MK_ERR_DATA);
	/* CRLF became LF in the delivered file */
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "cat \"$(ls -d %s/new/* | head -1)\"", md);
		fp = popen(cmd, "r");
		assert_int_equal(fread(buf, 1, 20, fp), 18);
		pclose(fp);
		assert_memory_equal(buf, "Subject: x\n\nbody\n", 17);
	}
	snprintf(p, sizeof(p), "rm -rf '%s'", base);
	assert_int_equal(system(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_deliver_and_state) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
