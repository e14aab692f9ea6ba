FROM alpine:3.19
RUN <<EOF
apk add --no-cache curl
echo done
EOF
COPY <<-"CONF" /etc/app.conf
	key=value
	CONF
RUN echo after
MAINTAINER someone@example.com
