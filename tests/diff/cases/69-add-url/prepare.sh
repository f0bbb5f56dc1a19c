mkdir -p served/t && echo x > served/t/x && tar -czf served/remote.tar.gz -C served t && rm -rf served/t
