/* A small HTTP/1.1 server for the function tests: listens on $PORT (8080 unless set), one thread
 * per connection, one request per connection.
 *   GET /            "hello from C\n" and $GREETING when set
 *   GET /random      16 random bytes from getrandom, in hex
 *   GET /headers     the request's headers, one per line
 *   GET /stream?n=N  N lines "line I", chunked, each line its own chunk
 *   POST /echo       the body back, with its length
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#define HEAD_MAX 16384

static int send_all(int fd, const char* data, size_t size)
{
    while (size > 0) {
        ssize_t sent = send(fd, data, size, MSG_NOSIGNAL);
        if (sent <= 0)
            return -1;
        data += sent;
        size -= (size_t)sent;
    }
    return 0;
}

static void reply(int fd, const char* status, const char* body, size_t length)
{
    char head[256];
    int n = snprintf(head, sizeof head,
        "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
        status, length);
    if (send_all(fd, head, (size_t)n) == 0)
        send_all(fd, body, length);
}

static void* serve(void* argument)
{
    int fd = (int)(long)argument;
    char* head = malloc(HEAD_MAX + 1);
    size_t used = 0;
    char* end = NULL;
    while (!end && used < HEAD_MAX) {
        ssize_t got = recv(fd, head + used, HEAD_MAX - used, 0);
        if (got <= 0)
            goto done;
        used += (size_t)got;
        head[used] = '\0';
        end = strstr(head, "\r\n\r\n");
    }
    if (!end)
        goto done;
    size_t head_size = (size_t)(end - head) + 4;
    char method[16], target[1024];
    if (sscanf(head, "%15s %1023s", method, target) != 2)
        goto done;
    size_t length = 0;
    const char* field = strcasestr(head, "\r\ncontent-length:");
    if (field)
        length = strtoul(field + 17, NULL, 10);

    if (strcmp(method, "POST") == 0 && strcmp(target, "/echo") == 0) {
        char* body = malloc(length + 1);
        size_t have = used - head_size < length ? used - head_size : length;
        memcpy(body, head + head_size, have);
        while (have < length) {
            ssize_t got = recv(fd, body + have, length - have, 0);
            if (got <= 0)
                break;
            have += (size_t)got;
        }
        reply(fd, "200 OK", body, have);
        free(body);
    } else if (strcmp(target, "/random") == 0) {
        unsigned char bytes[16];
        char text[40];
        if (getrandom(bytes, sizeof bytes, 0) != sizeof bytes)
            goto done;
        for (int i = 0; i < 16; ++i)
            sprintf(text + 2 * i, "%02x", bytes[i]);
        text[32] = '\n';
        reply(fd, "200 OK", text, 33);
    } else if (strcmp(target, "/headers") == 0) {
        const char* first = strstr(head, "\r\n") + 2;
        reply(fd, "200 OK", first, (size_t)(end - first) + 2);
    } else if (strncmp(target, "/stream?n=", 10) == 0) {
        int lines = atoi(target + 10);
        const char* start = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        if (send_all(fd, start, strlen(start)) != 0)
            goto done;
        for (int i = 0; i < lines; ++i) {
            char chunk[64], line[32];
            int size = snprintf(line, sizeof line, "line %d\n", i);
            int n = snprintf(chunk, sizeof chunk, "%x\r\n%s\r\n", size, line);
            if (send_all(fd, chunk, (size_t)n) != 0)
                goto done;
        }
        send_all(fd, "0\r\n\r\n", 5);
    } else if (strcmp(target, "/") == 0) {
        char text[256];
        const char* greeting = getenv("GREETING");
        int n = snprintf(text, sizeof text, "hello from C\n%s%s", greeting ? greeting : "",
            greeting ? "\n" : "");
        reply(fd, "200 OK", text, (size_t)n);
    } else {
        reply(fd, "404 Not Found", "no such path\n", 13);
    }
done:
    free(head);
    close(fd);
    return NULL;
}

int main(void)
{
    const char* port = getenv("PORT");
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    int on = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    struct sockaddr_in address = { .sin_family = AF_INET,
        .sin_port = htons((unsigned short)atoi(port ? port : "8080")),
        .sin_addr = { htonl(INADDR_ANY) } };
    if (bind(listener, (struct sockaddr*)&address, sizeof address) != 0
        || listen(listener, 128) != 0) {
        perror("http_hello: listen");
        return 1;
    }
    printf("http_hello: serving on port %s\n", port ? port : "8080");
    fflush(stdout);
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0)
            continue;
        pthread_t thread;
        if (pthread_create(&thread, NULL, serve, (void*)(long)fd) == 0)
            pthread_detach(thread);
        else
            close(fd);
    }
}
