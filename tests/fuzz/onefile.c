/* Replay runner for fuzz targets when libFuzzer is not in use: feeds every
 * file of the corpus directory to LLVMFuzzerTestOneInput, then a few hundred
 * deterministic mutations of each (fixed seed), so the sanitizer build checks
 * the parsers on every test run.
 *
 * Usage: fuzz-replay-<target> CORPUS_DIR [CRASHERS_DIR...]
 * The corpus must hold at least one file (an empty one tests nothing); the
 * crashers directories (inputs that once crashed, kept forever) may be
 * empty but must exist. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MUTATIONS 300
#define MK_FUZZ_MAX_INPUT (1 << 20)

static uint32_t rng = 0x6d61696c; /* fixed: runs are reproducible */

static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void mutate_and_run(const uint8_t *in, size_t len)
{
	uint8_t *buf = malloc(len + 64);

	if (buf == NULL)
		return;
	for (int m = 0; m < MUTATIONS; m++) {
		size_t n = len;
		memcpy(buf, in, len);
		switch (next_rand() % 4) {
		case 0: /* flip bytes */
			for (int k = 0; k < 3 && n > 0; k++)
				buf[next_rand() % n] ^= (uint8_t)(1u << (next_rand() % 8));
			break;
		case 1: /* truncate */
			n = n > 0 ? next_rand() % n : 0;
			break;
		case 2: /* insert interesting bytes anywhere */
			for (int k = 0; k < 8; k++) {
				static const uint8_t interesting[] = { 0,   1,	  '\r', '\n', '"', '\\',
								       '=', 0xff, '{',	'}',  ' ', '(' };
				size_t at = next_rand() % (n + 1);
				memmove(buf + at + 1, buf + at, n - at);
				buf[at] = interesting[next_rand() % sizeof(interesting)];
				n++;
			}
			break;
		default: /* set a random byte */
			if (n > 0)
				buf[next_rand() % n] = (uint8_t)next_rand();
			break;
		}
		LLVMFuzzerTestOneInput(buf, n);
	}
	free(buf);
}

static int visible(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* Replays every file of dir; returns the number replayed, -1 on error. */
static int replay_dir(const char *dir, uint8_t *data)
{
	struct dirent **names = NULL;
	int n, files = 0;

	/* Sorted, so the mutation stream (one seeded generator across all
	 * files) is the same on every file system. */
	n = scandir(dir, &names, visible, alphasort);
	if (n < 0) {
		perror(dir);
		return -1;
	}
	for (int i = 0; i < n && files >= 0; i++) {
		char path[4096];
		size_t len;
		FILE *fp;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		fp = fopen(path, "rb");
		if (fp == NULL) {
			perror(path);
			files = -1;
			break;
		}
		len = fread(data, 1, MK_FUZZ_MAX_INPUT, fp);
		fclose(fp);
		LLVMFuzzerTestOneInput(data, len);
		mutate_and_run(data, len);
		files++;
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return files;
}

int main(int argc, char **argv)
{
	uint8_t *data;
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR [CRASHERS_DIR...]\n", argv[0]);
		return 64;
	}
	data = malloc(MK_FUZZ_MAX_INPUT);
	if (data == NULL)
		return 70;
	for (int a = 1; a < argc; a++) {
		int files = replay_dir(argv[a], data);
		if (files < 0) {
			rc = 66;
			break;
		}
		printf("%s: replayed %d files with %d mutations each\n", argv[a], files, MUTATIONS);
		if (a == 1 && files == 0) {
			fprintf(stderr, "%s: empty corpus\n", argv[a]);
			rc = 1;
			break;
		}
	}
	free(data);
	return rc;
}
