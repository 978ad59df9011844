import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ErrorBodyModel } from './api-models.js';

/** OpenAPI generated from the controllers and DTOs: UI at `/api/docs`, JSON at `/api/docs-json`. */
export function setupOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Nest Saga admin API')
    .setDescription(
      'Inspect and operate durable sagas. Send `Authorization: Bearer <token>`; tokens come from `SAGA_ADMIN_TOKENS` ' +
        '(`viewer` reads, `operator` also acts). Errors are `{ statusCode, code, message, field? }`.',
    )
    .setVersion('0.1.0')
    .addBearerAuth()
    .build();
  SwaggerModule.setup('api/docs', app, () => SwaggerModule.createDocument(app, config, { extraModels: [ErrorBodyModel] }), {
    jsonDocumentUrl: 'api/docs-json',
    customSiteTitle: 'Nest Saga admin API',
    swaggerOptions: { persistAuthorization: true },
  });
}
