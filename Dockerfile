# kefusim in a container: the image the Kubernetes and CI examples in
# deploy/ use. Multi-stage: build with the Rust toolchain, ship only the
# binary (it links nothing but glibc) and the shipped scenarios.
#
#   docker build -t kefusim .
#   docker run --rm -v "$PWD/out:/work/out" kefusim run scenarios/quickstart.toml --out out/quick

FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked && strip target/release/kefusim

FROM debian:bookworm-slim
COPY --from=build /src/target/release/kefusim /usr/local/bin/kefusim
COPY --from=build /src/scenarios /work/scenarios
WORKDIR /work
# Any non-root user: kefusim needs no privileges, only a writable --out.
USER 65532:65532
ENTRYPOINT ["kefusim"]
CMD ["--help"]
